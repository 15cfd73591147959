#include "app/pipeline.h"

#include <algorithm>

#include "huaweicloud/authorizer.h"
#include "huaweicloud/swr_client.h"
#include "huaweicloud/transport.h"
#include "model/metric_families.h"

namespace swr::app {
namespace {

constexpr std::size_t kMaxBodyBytes = 32 * 1024 * 1024;

std::unique_ptr<huaweicloud::Authorizer> make_authorizer(const config::Config& config,
                                                         huaweicloud::Transport& transport,
                                                         huaweicloud::ApiObserver& observer,
                                                         Clock& clock) {
  namespace hc = huaweicloud;
  const config::Auth& auth = config.auth;
  switch (auth.method) {
    case config::AuthMethod::kAkSk:
      return hc::make_aksk_authorizer({auth.access_key.value, auth.secret_key.value, ""},
                                      config.huaweicloud.project_id, clock);
    case config::AuthMethod::kPassword:
      return hc::make_password_authorizer({config.huaweicloud.iam_endpoint, auth.domain_name,
                                           auth.user_name, auth.password.value, auth.project_name},
                                          transport, observer, clock);
    case config::AuthMethod::kMetadata:
      return hc::make_metadata_authorizer(auth.metadata_endpoint, config.huaweicloud.project_id,
                                          transport, observer, clock);
    case config::AuthMethod::kToken:
      return hc::make_token_file_authorizer(auth.token_file, config.huaweicloud.iam_endpoint,
                                            transport, observer, clock);
  }
  return nullptr;
}

// The SWR API over libcurl, signed or token-authorized as configured.
class SwrConnection final : public ApiConnection {
 public:
  SwrConnection(const config::Config& config, huaweicloud::ApiObserver& observer, Clock& clock,
                huaweicloud::RateLimiter& limiter)
      : transport_(huaweicloud::make_curl_transport(
            {config.huaweicloud.ca_file, config.scrape.timeout, kMaxBodyBytes})),
        authorizer_(make_authorizer(config, *transport_, observer, clock)),
        client_(config.huaweicloud.swr_endpoint, *transport_, *authorizer_, observer, clock,
                limiter) {}
  SyncJobApi& jobs() override { return client_; }
  DiscoveryApi& discovery() override { return client_; }

 private:
  std::unique_ptr<huaweicloud::Transport> transport_;
  std::unique_ptr<huaweicloud::Authorizer> authorizer_;
  huaweicloud::SwrClient client_;
};

collect::DiscoveryOptions discovery_options(const config::Config& config) {
  collect::DiscoveryOptions out;
  for (const auto& target : config.targets) {
    out.targets.push_back({target.organization, target.repositories});
  }
  if (!config.discovery.include.empty()) out.include.emplace(config.discovery.include);
  if (!config.discovery.exclude.empty()) out.exclude.emplace(config.discovery.exclude);
  out.only_with_sync_rules = config.discovery.only_with_sync_rules;
  out.shard = config.sharding.shard;
  out.total_shards = config.sharding.total_shards;
  return out;
}

bool enabled(const config::Config& config, std::string_view family) {
  const auto& off = config.metrics.disabled_families;
  return std::find(off.begin(), off.end(), family) == off.end();
}

}  // namespace

std::unique_ptr<Pipeline> assemble_pipeline(const config::Config& config,
                                            std::unique_ptr<ApiConnection> api,
                                            std::shared_ptr<huaweicloud::RateLimiter> limiter,
                                            Clock& clock, std::unique_ptr<Pipeline> old,
                                            bool once) {
  auto p = std::make_unique<Pipeline>();
  p->config = config;
  p->api = std::move(api);
  p->limiter = std::move(limiter);
  collect::PollOptions options{{},
                               config.scrape.page_size,
                               config.scrape.concurrency,
                               config.metrics.duration_buckets,
                               config.metrics.duration_labels,
                               config.scrape.full_resync_interval,
                               config.scrape.recheck_interval,
                               config.scrape.interval,
                               config.scrape.max_requests_per_second};
  // A histogram nobody is served costs nothing: its jobs are not observed.
  options.observe_durations = enabled(config, family::kSyncJobDuration.name);
  // The rules' read times go with the poller that holds the rules read.
  const bool read_rules = enabled(config, family::kSyncRule.name);
  const collect::SyncRuleOptions rule_options{config.discovery.interval, config.scrape.interval,
                                              config.scrape.concurrency};
  if (old && old->poller->can_take(options)) {
    p->poller = std::move(old->poller);
    p->poller->reconfigure(options, p->api->jobs());
    if (read_rules && old->rules) {
      p->rules = std::move(old->rules);
      p->rules->reconfigure(rule_options, p->api->discovery());
    }
  } else {
    p->poller = std::make_unique<collect::Poller>(options, p->api->jobs(), clock);
  }
  if (read_rules && !p->rules) {
    p->rules = std::make_unique<collect::SyncRuleReader>(rule_options, p->api->discovery());
  }
  // The listing gives change hints every cycle; --once reads everything and needs none.
  const bool hints = config.scrape.recheck_interval.count() > 0 && !once;
  p->inventory = std::make_unique<collect::Inventory>(
      collect::InventoryOptions{discovery_options(config), config.discovery.interval, hints,
                                config.scrape.concurrency},
      p->api->discovery(), clock);
  return p;
}

PipelineFactory swr_pipeline_factory(huaweicloud::ApiObserver& observer, Clock& clock, bool once) {
  return [&observer, &clock, once](const config::Config& config, std::unique_ptr<Pipeline> old) {
    auto limiter =
        std::make_shared<huaweicloud::RateLimiter>(config.scrape.max_requests_per_second, clock);
    auto api = std::make_unique<SwrConnection>(config, observer, clock, *limiter);
    return assemble_pipeline(config, std::move(api), std::move(limiter), clock, std::move(old),
                             once);
  };
}

}  // namespace swr::app
