// Everything a configuration decides: the API connection and the collect side (inventory,
// poller, sync-rule reader). Built at start and again on each reload; a reload keeps the old
// poller (and with it the job ledger, so exactly-once holds across it) when it can.
#pragma once

#include <functional>
#include <memory>

#include "collect/inventory.h"
#include "collect/poller.h"
#include "collect/sync_rules.h"
#include "config/config.h"
#include "huaweicloud/api_observer.h"
#include "huaweicloud/rate_limiter.h"
#include "model/clock.h"
#include "model/discovery_api.h"
#include "model/sync_job_api.h"

namespace swr::app {

// What the collect side reads through, owned by the pipeline so it outlives what reads it.
class ApiConnection {
 public:
  virtual ~ApiConnection() = default;
  virtual SyncJobApi& jobs() = 0;
  virtual DiscoveryApi& discovery() = 0;
};

struct Pipeline {
  config::Config config;
  std::shared_ptr<huaweicloud::RateLimiter> limiter;  // the API's; also read by the live metrics
  std::unique_ptr<ApiConnection> api;
  std::unique_ptr<collect::Poller> poller;
  std::unique_ptr<collect::Inventory> inventory;
  std::unique_ptr<collect::SyncRuleReader> rules;  // none when swr_sync_rule_info is off
};

// A new pipeline for `config` over `api`, rate-limited by `limiter`. `old`'s poller (and its
// sync-rule reader) carry over when the histogram's buckets and labels are the same. With `once`
// the inventory lists no change hints: --once reads everything.
std::unique_ptr<Pipeline> assemble_pipeline(const config::Config& config,
                                            std::unique_ptr<ApiConnection> api,
                                            std::shared_ptr<huaweicloud::RateLimiter> limiter,
                                            Clock& clock, std::unique_ptr<Pipeline> old, bool once);

// Builds a pipeline for a configuration, given the one it replaces (none at start).
using PipelineFactory = std::function<std::unique_ptr<Pipeline>(const config::Config& config,
                                                                std::unique_ptr<Pipeline> old)>;

// The real one: libcurl transport, the configured authorizer and the SWR client.
PipelineFactory swr_pipeline_factory(huaweicloud::ApiObserver& observer, Clock& clock, bool once);

}  // namespace swr::app
