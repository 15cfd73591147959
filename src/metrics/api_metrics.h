// The exporter's own accounting of its calls to Huawei Cloud, updated as calls happen.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/metric_family.h>
#include <prometheus/registry.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace swr::metrics {

class ApiMetrics {
 public:
  ApiMetrics();
  void record_request(std::string_view api, std::string_view code, double seconds);
  void set_token_expiry(double unix_seconds);
  // swr_exporter_credentials_refused: 1 while the last authentication was refused.
  void set_credentials_refused(bool refused);
  std::vector<prometheus::MetricFamily> collect() const;

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Histogram>& latency_;
  prometheus::Family<prometheus::Gauge>& token_expiry_;
  prometheus::Gauge& credentials_refused_;
  // The series already made, by api and code: Family::Add builds and checks a label map on every
  // call, and every request of a cycle comes here. Series are never removed, so these stay valid.
  std::mutex mutex_;
  std::map<std::string, prometheus::Counter*, std::less<>> counters_;  // "api code"
  std::map<std::string, prometheus::Histogram*, std::less<>> histograms_;
};

// swr_exporter_shard_ordinal and swr_exporter_total_shards.
std::vector<prometheus::MetricFamily> shard_families(int shard, int total_shards);

// swr_exporter_config_last_reload_successful and _success_timestamp_seconds.
std::vector<prometheus::MetricFamily> reload_families(bool last_reload_ok,
                                                      double last_success_unix_seconds);

// swr_exporter_poll_interval_seconds (scrape.interval in use) and
// swr_exporter_rate_limit_requests_per_second (the rate limiter's current rate).
std::vector<prometheus::MetricFamily> poll_families(double interval_seconds,
                                                    double requests_per_second);

// swr_exporter_build_info{version, revision} 1
prometheus::MetricFamily build_info_family(const std::string& version, const std::string& revision);

}  // namespace swr::metrics
