#include "metrics/api_metrics.h"

#include "metrics/family_spec.h"

namespace swr::metrics {

namespace {
const prometheus::Histogram::BucketBoundaries kLatencyBuckets = {0.05, 0.1, 0.25, 0.5, 1,
                                                                 2.5,  5,   10,   30};
}  // namespace

// prometheus-cpp's builders fix the type: the catalogue must agree.
static_assert(family::kApiRequests.type == MetricType::kCounter);
static_assert(family::kApiRequestDuration.type == MetricType::kHistogram);
static_assert(family::kTokenExpiry.type == MetricType::kGauge);
static_assert(family::kCredentialsRefused.type == MetricType::kGauge);

ApiMetrics::ApiMetrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      requests_(prometheus::BuildCounter()
                    .Name(std::string(family::kApiRequests.name))
                    .Help(help_text(family::kApiRequests))
                    .Register(*registry_)),
      latency_(prometheus::BuildHistogram()
                   .Name(std::string(family::kApiRequestDuration.name))
                   .Help(help_text(family::kApiRequestDuration))
                   .Register(*registry_)),
      token_expiry_(prometheus::BuildGauge()
                        .Name(std::string(family::kTokenExpiry.name))
                        .Help(help_text(family::kTokenExpiry))
                        .Register(*registry_)),
      credentials_refused_(prometheus::BuildGauge()
                               .Name(std::string(family::kCredentialsRefused.name))
                               .Help(help_text(family::kCredentialsRefused))
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
prometheus::MetricFamily unlabelled_gauge(const MetricFamilySpec& spec, double value) {
  prometheus::MetricFamily out = empty_family(spec);
  out.metric.emplace_back().gauge.value = value;
  return out;
}
}  // namespace

std::vector<prometheus::MetricFamily> shard_families(int shard, int total_shards) {
  return {unlabelled_gauge(family::kShardOrdinal, shard),
          unlabelled_gauge(family::kTotalShards, total_shards)};
}

std::vector<prometheus::MetricFamily> poll_families(double interval_seconds,
                                                    double requests_per_second) {
  return {unlabelled_gauge(family::kPollInterval, interval_seconds),
          unlabelled_gauge(family::kRateLimit, requests_per_second)};
}

std::vector<prometheus::MetricFamily> reload_families(bool last_reload_ok,
                                                      double last_success_unix_seconds) {
  return {unlabelled_gauge(family::kConfigReloadSuccessful, last_reload_ok ? 1 : 0),
          unlabelled_gauge(family::kConfigReloadSuccessTimestamp, last_success_unix_seconds)};
}

prometheus::MetricFamily build_info_family(const std::string& version,
                                           const std::string& revision) {
  static_assert(family::kBuildInfo.labels.size() == 2);
  prometheus::MetricFamily info = empty_family(family::kBuildInfo);
  prometheus::ClientMetric m;
  m.label = {{std::string(family::kBuildInfo.labels[0]), revision},
             {std::string(family::kBuildInfo.labels[1]), version}};
  m.gauge.value = 1;
  info.metric.push_back(std::move(m));
  return info;
}

}  // namespace swr::metrics
