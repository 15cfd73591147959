#include "metrics/api_metrics.h"

namespace swr::metrics {

namespace {
const prometheus::Histogram::BucketBoundaries kLatencyBuckets = {0.05, 0.1, 0.25, 0.5, 1,
                                                                 2.5,  5,   10,   30};
}  // namespace

ApiMetrics::ApiMetrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      requests_(
          prometheus::BuildCounter()
              .Name("swr_exporter_api_requests_total")
              .Help("Requests to Huawei Cloud by call (sync_job, token, namespaces, repos) and "
                    "HTTP status (network for transport errors)")
              .Register(*registry_)),
      latency_(prometheus::BuildHistogram()
                   .Name("swr_exporter_api_request_duration_seconds")
                   .Help("Latency of requests to Huawei Cloud by call")
                   .Register(*registry_)),
      token_expiry_(prometheus::BuildGauge()
                        .Name("swr_exporter_token_expiry_timestamp_seconds")
                        .Help("Expiry of the IAM token (password and token methods) or of the "
                              "temporary keys (metadata method) in use")
                        .Register(*registry_)),
      credentials_refused_(
          prometheus::BuildGauge()
              .Name("swr_exporter_credentials_refused")
              .Help("1 while the last authentication was refused: IAM answered the token "
                    "request 401/403, or SWR answered 401, or 403 with an API-gateway "
                    "authentication code; 0 once an SWR request is accepted")
              .Register(*registry_)
              .Add({})) {}

void ApiMetrics::record_request(std::string_view api, std::string_view code, double seconds) {
  prometheus::Counter* counter = nullptr;
  prometheus::Histogram* histogram = nullptr;
  {
    std::lock_guard lock(mutex_);
    std::string key;  // fits the small-string buffer: "sync_job 200"
    key.reserve(api.size() + 1 + code.size());
    key.append(api).append(1, ' ').append(code);
    auto c = counters_.find(key);
    if (c == counters_.end()) {
      c = counters_
              .emplace(std::move(key),
                       &requests_.Add({{"api", std::string(api)}, {"code", std::string(code)}}))
              .first;
    }
    counter = c->second;
    auto h = histograms_.find(api);
    if (h == histograms_.end()) {
      h = histograms_
              .emplace(std::string(api),
                       &latency_.Add({{"api", std::string(api)}}, kLatencyBuckets))
              .first;
    }
    histogram = h->second;
  }
  counter->Increment();
  histogram->Observe(seconds);
}

void ApiMetrics::set_token_expiry(double unix_seconds) { token_expiry_.Add({}).Set(unix_seconds); }

void ApiMetrics::set_credentials_refused(bool refused) {
  credentials_refused_.Set(refused ? 1 : 0);
}

std::vector<prometheus::MetricFamily> ApiMetrics::collect() const {
  std::vector<prometheus::MetricFamily> out;
  for (auto& family : registry_->Collect()) {
    // An empty family would print HELP and TYPE with no samples; leave it out.
    if (!family.metric.empty()) out.push_back(std::move(family));
  }
  return out;
}

namespace {
prometheus::MetricFamily unlabelled_gauge(std::string name, std::string help, double value) {
  prometheus::MetricFamily family;
  family.name = std::move(name);
  family.help = std::move(help);
  family.type = prometheus::MetricType::Gauge;
  family.metric.emplace_back().gauge.value = value;
  return family;
}
}  // namespace

std::vector<prometheus::MetricFamily> shard_families(int shard, int total_shards) {
  return {unlabelled_gauge("swr_exporter_shard_ordinal",
                           "Which shard of the repositories this replica polls, from 0", shard),
          unlabelled_gauge("swr_exporter_total_shards",
                           "How many shards the repositories are split into", total_shards)};
}

std::vector<prometheus::MetricFamily> poll_families(double interval_seconds,
                                                    double requests_per_second) {
  return {
      unlabelled_gauge("swr_exporter_poll_interval_seconds",
                       "Time between two poll cycles (scrape.interval in use)", interval_seconds),
      unlabelled_gauge("swr_exporter_rate_limit_requests_per_second",
                       "Requests a second the rate limiter allows now: "
                       "scrape.max_requests_per_second, less while the API throttles",
                       requests_per_second)};
}

std::vector<prometheus::MetricFamily> reload_families(bool last_reload_ok,
                                                      double last_success_unix_seconds) {
  return {
      unlabelled_gauge("swr_exporter_config_last_reload_successful",
                       "1 if the last reload of the configuration worked (or none was asked for)",
                       last_reload_ok ? 1 : 0),
      unlabelled_gauge("swr_exporter_config_last_reload_success_timestamp_seconds",
                       "When the configuration in use was loaded", last_success_unix_seconds)};
}

prometheus::MetricFamily build_info_family(const std::string& version,
                                           const std::string& revision) {
  prometheus::MetricFamily family;
  family.name = "swr_exporter_build_info";
  family.help = "Version and revision of swr-sync-exporter, value 1";
  family.type = prometheus::MetricType::Gauge;
  prometheus::ClientMetric m;
  m.label = {{"revision", revision}, {"version", version}};
  m.gauge.value = 1;
  family.metric.push_back(std::move(m));
  return family;
}

}  // namespace swr::metrics
