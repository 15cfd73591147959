#include "app/poll_loop.h"

#include <malloc.h>

#include <algorithm>
#include <string>

#include "log/logger.h"

namespace swr::app {
namespace {

double seconds_between(std::chrono::steady_clock::time_point from,
                       std::chrono::steady_clock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

std::string describe_reads(const collect::CycleReport& report) {
  std::string reads;
  for (std::size_t r = 0; r < collect::kReadReasonCount; ++r) {
    if (report.reads[r] == 0) continue;
    if (!reads.empty()) reads += ',';
    reads += std::string(collect::kReadReasonNames[r]) + ":" + std::to_string(report.reads[r]);
  }
  return reads.empty() ? "none" : reads;
}

MetricFamilySelection served(const config::Config& config) {
  return MetricFamilySelection::without(config.metrics.disabled_families);
}

}  // namespace

PollLoop::PollLoop(const config::Config& config, PipelineFactory factory,
                   metrics::ExpositionCache& cache, LiveMetrics& live, Clock& clock, bool once)
    : factory_(std::move(factory)), cache_(cache), live_(live), clock_(clock), once_(once) {
  swap_in(config);
}

void PollLoop::swap_in(const config::Config& config) {
  pipeline_ = factory_(config, std::move(pipeline_));
  // [metrics] enabled/disabled: what a reload changes applies from the next render.
  cache_.select(served(pipeline_->config));
  live_.use(*pipeline_);
}

void PollLoop::apply(const collect::InventoryCycle& inventory) {
  collect::Poller& poller = *pipeline_->poller;
  if (inventory.discovery) {
    const collect::DiscoveryResult& found = *inventory.discovery;
    poller.set_discovery_failed(!found.repositories);
    if (found.repositories) {
      poller.set_repositories(*found.repositories);
      log::info("repositories to poll",
                {{"repositories", std::to_string(found.repositories->size())},
                 {"discovered", found.needs_api ? "true" : "false"}});
    } else {
      log::error("discovery failed; polling the repositories found before",
                 {{"err", found.repositories.error()}});
    }
  }
  if (inventory.hints.listed()) {
    for (const std::string& error : inventory.listing_errors) {
      log::error(
          "the repository listing failed; reading every repository of the organization this "
          "cycle (reason fallback)",
          {{"api", "repos"}, {"err", error}});
    }
  }
}

collect::SyncRuleReport PollLoop::read_rules(const collect::CycleReport& report,
                                             int listing_requests, std::stop_token stop) {
  Pipeline& p = *pipeline_;
  // Not while the API fails every read: a cycle that read nothing well asks for no rules.
  std::size_t attempted_reads = 0;
  for (const std::size_t n : report.reads) attempted_reads += n;
  const bool api_failing = attempted_reads > 0 && report.failed >= attempted_reads;
  if (!p.rules || report.stopped || api_failing) return {};
  // What the cycle's budget leaves (--once: all of them).
  std::size_t max_reads = p.poller->repositories().size();
  if (!once_) {
    const double seconds =
        std::chrono::duration<double>(
            std::max(p.config.scrape.interval, std::chrono::milliseconds{10'000}))
            .count();
    const auto budget =
        static_cast<std::int64_t>(p.config.scrape.max_requests_per_second * seconds * 0.9);
    max_reads = static_cast<std::size_t>(
        std::max<std::int64_t>(0, budget - listing_requests - report.requests));
  }
  collect::SyncRuleReport reads =
      p.rules->refresh(p.poller->repositories(), max_reads, clock_.steady_now(), stop,
                       [&p](const RepositoryRef& ref, std::vector<SyncRule> rules) {
                         p.poller->set_sync_rules(ref, std::move(rules));
                       });
  if (reads.read > 0) p.poller->republish();
  return reads;
}

collect::CycleReport PollLoop::run_cycle(std::stop_token stop) {
  Pipeline& p = *pipeline_;
  const auto listing_start = clock_.steady_now();
  const collect::InventoryCycle inventory = p.inventory->next(stop);
  const double listing_seconds = seconds_between(listing_start, clock_.steady_now());
  apply(inventory);

  collect::CycleInput input;
  if (inventory.hints.listed()) input.hints = &inventory.hints;
  if (inventory.discovery_listing.listed()) input.discovery_listing = &inventory.discovery_listing;
  input.listing_requests = inventory.listing_requests;
  input.read_everything = once_;
  input.progress = [this](const std::shared_ptr<const collect::Snapshot>& partial) {
    cache_.publish(*partial);
    ready_ = true;
    log::debug("published what the cycle has read so far",
               {{"initial_pass_complete", partial->initial_pass_complete ? "true" : "false"}});
  };
  const double cpu_before = process_cpu_seconds();
  const collect::CycleReport report = p.poller->run_cycle(input, stop);
  const collect::SyncRuleReport rule_reads = read_rules(report, inventory.listing_requests, stop);
  const double cpu_cycle = process_cpu_seconds() - cpu_before;

  const auto render_start = clock_.steady_now();
  if (!report.stopped) cache_.publish(*p.poller->snapshot());
  const metrics::Rendered rendered = cache_.current();
  malloc_trim(0);  // a cycle's pages and parse buffers go back to the system
  const double render_seconds = seconds_between(render_start, clock_.steady_now());
  log::info("cycle done", {{"repositories", std::to_string(report.repositories)},
                           {"reads", describe_reads(report)},
                           {"skipped", std::to_string(report.skipped)},
                           {"failed", std::to_string(report.failed)},
                           {"partial_reads", std::to_string(report.partial_reads)},
                           {"jobs", std::to_string(report.jobs)},
                           {"tracked_jobs", std::to_string(p.poller->tracked_jobs())},
                           {"listing_requests", std::to_string(inventory.listing_requests)},
                           {"listing_seconds", std::to_string(listing_seconds)},
                           {"requests", std::to_string(report.requests)},
                           {"sync_rule_reads", std::to_string(rule_reads.read)},
                           {"sync_rule_failures", std::to_string(rule_reads.failed)},
                           {"sync_rules_due", std::to_string(rule_reads.due_left)},
                           {"seconds", std::to_string(report.seconds)},
                           {"cpu_seconds", std::to_string(cpu_cycle)},
                           {"render_seconds", std::to_string(render_seconds)},
                           {"exposition_bytes", std::to_string(rendered.text_size())},
                           {"gzip_bytes", std::to_string(rendered.gzip_size())}});
  return report;
}

int PollLoop::run_once(std::ostream& out) {
  const collect::CycleReport report = run_cycle({});
  cache_.current().write_text([&out](std::string_view bytes) {
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    return static_cast<bool>(out);
  });
  out << std::flush;
  return report.failed == 0 && pipeline_->poller->snapshot()->up ? 0 : 1;
}

void PollLoop::run(Reloader& reloader, std::stop_token stop) {
  while (!stop.stop_requested()) {
    if (auto config = reloader.take()) swap_in(*config);
    const auto started = clock_.steady_now();
    const collect::CycleReport report = run_cycle(stop);
    if (report.stopped) break;
    ready_ = true;
    // A first pass the budget cut into cycles goes on at once: each cycle already spends only
    // its interval's share of the rate limit.
    if (report.new_left > 0) continue;
    const auto next_cycle = started + pipeline_->config.scrape.interval;
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(next_cycle - clock_.steady_now());
    if (left.count() > 0) reloader.wait(clock_, left, stop);
  }
}

}  // namespace swr::app
