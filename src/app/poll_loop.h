// The poll loop: config -> inventory (discovery, change hints) -> poll -> sync rules -> snapshot
// -> exposition, one cycle per scrape interval on the injected clock. A reload swaps the
// pipeline between cycles; --once runs one cycle that reads everything.
#pragma once

#include <atomic>
#include <memory>
#include <ostream>
#include <stop_token>

#include "app/live_metrics.h"
#include "app/pipeline.h"
#include "app/reloader.h"
#include "collect/poller.h"
#include "metrics/exposition.h"
#include "model/clock.h"

namespace swr::app {

class PollLoop {
 public:
  // Builds the first pipeline from `config` at once; `reloader` is none with --once.
  PollLoop(const config::Config& config, PipelineFactory factory, metrics::ExpositionCache& cache,
           LiveMetrics& live, Clock& clock, bool once);

  // One cycle: published to the cache as it goes and when done; a summary line is logged.
  collect::CycleReport run_cycle(std::stop_token stop);
  // --once: one cycle, its exposition written to `out`; the exit code: 0 when every repository
  // was read and discovery worked, 1 otherwise.
  int run_once(std::ostream& out);
  // Cycles until `stop`, each `scrape.interval` after the last one started (at once while a
  // first pass the budget cut is still going), taking what `reloader` leaves between cycles.
  void run(Reloader& reloader, std::stop_token stop);

  // /-/ready: true once a snapshot (the first pass's first part, at the latest) is published.
  bool ready() const { return ready_; }
  const Pipeline& pipeline() const { return *pipeline_; }

 private:
  void apply(const collect::InventoryCycle& inventory);
  collect::SyncRuleReport read_rules(const collect::CycleReport& report, int listing_requests,
                                     std::stop_token stop);
  void swap_in(const config::Config& config);

  PipelineFactory factory_;
  metrics::ExpositionCache& cache_;
  LiveMetrics& live_;
  Clock& clock_;
  const bool once_;
  std::unique_ptr<Pipeline> pipeline_;
  std::atomic<bool> ready_{false};
};

}  // namespace swr::app
