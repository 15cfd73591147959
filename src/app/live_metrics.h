// The exporter's own series that change between cycles: API requests and token expiry (through
// the client's observer), the poll interval and rate limit in use, shard, reload status, build
// info and the process. /metrics renders them at most once a second.
#pragma once

#include <prometheus/metric_family.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "app/pipeline.h"
#include "huaweicloud/api_observer.h"
#include "huaweicloud/rate_limiter.h"
#include "metrics/api_metrics.h"
#include "model/clock.h"

namespace swr::app {

class LiveMetrics {
 public:
  LiveMetrics(std::string version, std::string revision, const Clock& clock);

  // What the SWR and IAM clients report to.
  huaweicloud::ApiObserver& observer() { return observer_; }
  // The pipeline in use: its poll interval, rate limiter and shard.
  void use(const Pipeline& pipeline);
  void reload_succeeded();
  void reload_failed();

  std::vector<prometheus::MetricFamily> collect() const;

 private:
  class Observer final : public huaweicloud::ApiObserver {
   public:
    explicit Observer(metrics::ApiMetrics& metrics) : metrics_(metrics) {}
    void on_request(std::string_view api, std::string_view code, double seconds) override {
      metrics_.record_request(api, code, seconds);
    }
    void on_token_expiry(double unix_seconds) override { metrics_.set_token_expiry(unix_seconds); }
    void on_credentials(bool refused) override { metrics_.set_credentials_refused(refused); }

   private:
    metrics::ApiMetrics& metrics_;
  };

  const std::string version_;
  const std::string revision_;
  const Clock& clock_;
  metrics::ApiMetrics api_;
  Observer observer_{api_};
  std::atomic<bool> last_reload_ok_{true};
  std::atomic<double> last_reload_success_;
  mutable std::mutex mutex_;  // guards the pipeline's figures below
  double poll_interval_seconds_ = 0;
  std::shared_ptr<const huaweicloud::RateLimiter> limiter_;
  int shard_ = 0;
  int total_shards_ = 1;
};

}  // namespace swr::app
