// Every metric family the exporter serves, named in one place: the configuration checks
// [metrics] enabled and disabled against this list, and the metrics stage skips the families a
// selection turns off. Header-only, so config/ can use it without linking anything of ours.
#pragma once

#include <array>
#include <bitset>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace swr {

struct MetricFamilyName {
  std::string_view name;
  // The exporter's own health: one series each, read by the alert rules and the dashboard to
  // tell a broken exporter from a quiet one, so no selection turns them off.
  bool always_on = false;
};

inline constexpr std::array<MetricFamilyName, 34> kMetricFamilies{{
    // The repositories' series (snapshot_text.cpp).
    {"swr_sync_jobs"},
    {"swr_sync_job_duration_seconds"},
    {"swr_sync_last_finished_timestamp_seconds"},
    {"swr_sync_oldest_pending_job_created_timestamp_seconds"},
    {"swr_sync_latest_job_info"},
    {"swr_exporter_repository_up"},
    {"swr_sync_latest_job_created_timestamp_seconds"},
    {"swr_repository_last_push_timestamp_seconds"},
    {"swr_sync_rule_info"},
    // The cycle's gauges (snapshot_text.cpp).
    {"swr_up", true},
    {"swr_exporter_cycle_duration_seconds"},
    {"swr_exporter_last_cycle_timestamp_seconds", true},
    {"swr_exporter_last_success_timestamp_seconds", true},
    {"swr_exporter_initial_pass_complete", true},
    {"swr_exporter_repository_reads_total"},
    {"swr_exporter_repositories_skipped"},
    {"swr_exporter_oldest_repository_read_age_seconds"},
    // Calls to Huawei Cloud (api_metrics.cpp).
    {"swr_exporter_api_requests_total"},
    {"swr_exporter_api_request_duration_seconds"},
    {"swr_exporter_token_expiry_timestamp_seconds"},
    {"swr_exporter_credentials_refused", true},
    {"swr_exporter_rate_limit_requests_per_second"},
    // The exporter itself (api_metrics.cpp, process_metrics.cpp).
    {"swr_exporter_build_info"},
    {"swr_exporter_poll_interval_seconds", true},
    {"swr_exporter_shard_ordinal"},
    {"swr_exporter_total_shards"},
    {"swr_exporter_config_last_reload_successful"},
    {"swr_exporter_config_last_reload_success_timestamp_seconds"},
    {"process_cpu_seconds_total"},
    {"process_open_fds"},
    {"process_max_fds"},
    {"process_virtual_memory_bytes"},
    {"process_resident_memory_bytes"},
    {"process_start_time_seconds"},
}};

constexpr std::optional<std::size_t> metric_family_index(std::string_view name) {
  for (std::size_t i = 0; i < kMetricFamilies.size(); ++i) {
    if (kMetricFamilies[i].name == name) return i;
  }
  return std::nullopt;
}

// `*` matches any run of characters, nothing else is special; the whole name must match.
constexpr bool glob_match(std::string_view pattern, std::string_view name) {
  std::size_t p = 0, n = 0;
  std::size_t star = std::string_view::npos, resume = 0;
  while (n < name.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = n;
    } else if (p < pattern.size() && pattern[p] == name[n]) {
      ++p;
      ++n;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      n = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

// Which families are served. The default serves every one; names outside kMetricFamilies are
// always served, and so are the always-on families.
class MetricFamilySelection {
 public:
  MetricFamilySelection() = default;

  static MetricFamilySelection without(const std::vector<std::string>& names) {
    MetricFamilySelection selection;
    for (const std::string& name : names) {
      const auto index = metric_family_index(name);
      if (index && !kMetricFamilies[*index].always_on) selection.off_.set(*index);
    }
    return selection;
  }

  bool on(std::string_view name) const {
    const auto index = metric_family_index(name);
    return !index || !off_.test(*index);
  }
  bool all_on() const { return off_.none(); }

  bool operator==(const MetricFamilySelection&) const = default;

 private:
  std::bitset<kMetricFamilies.size()> off_;
};

}  // namespace swr
