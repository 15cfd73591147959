#include "app/live_metrics.h"

#include "metrics/process_metrics.h"

namespace swr::app {

LiveMetrics::LiveMetrics(std::string version, std::string revision, const Clock& clock)
    : version_(std::move(version)),
      revision_(std::move(revision)),
      clock_(clock),
      last_reload_success_(to_unix_seconds(clock.now())) {}

void LiveMetrics::use(const Pipeline& pipeline) {
  std::lock_guard lock(mutex_);
  poll_interval_seconds_ = std::chrono::duration<double>(pipeline.config.scrape.interval).count();
  limiter_ = pipeline.limiter;
  shard_ = pipeline.config.sharding.shard;
  total_shards_ = pipeline.config.sharding.total_shards;
}

void LiveMetrics::reload_succeeded() {
  last_reload_ok_ = true;
  last_reload_success_ = to_unix_seconds(clock_.now());
}

void LiveMetrics::reload_failed() { last_reload_ok_ = false; }

std::vector<prometheus::MetricFamily> LiveMetrics::collect() const {
  std::vector<prometheus::MetricFamily> families = api_.collect();
  const auto append = [&families](std::vector<prometheus::MetricFamily> more) {
    for (auto& family : more) families.push_back(std::move(family));
  };
  {
    std::lock_guard lock(mutex_);
    append(metrics::poll_families(poll_interval_seconds_, limiter_ ? limiter_->current_rate() : 0));
    families.push_back(metrics::build_info_family(version_, revision_));
    append(metrics::shard_families(shard_, total_shards_));
  }
  append(metrics::reload_families(last_reload_ok_, last_reload_success_));
  append(metrics::collect_process_metrics());
  return families;
}

}  // namespace swr::app
