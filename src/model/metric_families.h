// The catalogue of every metric family the exporter serves: name, type, HELP text and label names.
// The metrics stage writes each family from its entry here (no family name is spelt anywhere
// else in src/), the configuration checks [metrics] enabled and disabled against it, and the
// tests check it against the naming rules, a rendered exposition and docs/metrics.md.
// Header-only, so config/ can use it without linking anything of ours.
#pragma once

#include <array>
#include <bitset>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace swr {

enum class MetricType {
  kCounter,
  kGauge,
  kHistogram,
  kInfo,  // a gauge whose series are all 1: the labels carry the information
};

struct MetricFamilySpec {
  std::string_view name;
  MetricType type = MetricType::kGauge;
  // The `# HELP` text; a family read from the poll gets kFromPoll after it.
  std::string_view help;
  // In the order the series carry them; a histogram's `le` is not listed.
  std::span<const std::string_view> labels = {};
  bool from_poll = false;
  // The exporter's own health: one series each, read by the alert rules and the dashboard to
  // tell a broken exporter from a quiet one, so no selection turns them off.
  bool always_on = false;
  // [metrics] duration_labels picks which of `labels` the series carry, and in what order.
  bool labels_configured = false;
};

// Ends the help of every family whose values come from the background poll.
inline constexpr std::string_view kFromPoll =
    " (from the background poll of the SWR API; see swr_exporter_last_cycle_timestamp_seconds for "
    "its age).";

inline std::string help_text(const MetricFamilySpec& family) {
  std::string help(family.help);
  if (family.from_poll) help += kFromPoll;
  return help;
}

constexpr std::string_view type_text(MetricType type) {
  switch (type) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kHistogram:
      return "histogram";
    case MetricType::kGauge:
    case MetricType::kInfo:
      break;
  }
  return "gauge";
}

namespace metric_labels {
inline constexpr std::string_view kRepository[] = {"organization", "repository"};
inline constexpr std::string_view kDestination[] = {"organization", "repository", "target_region",
                                                    "target_organization"};
inline constexpr std::string_view kDestinationStatus[] = {
    "organization", "repository", "target_region", "target_organization", "status"};
inline constexpr std::string_view kLatestJob[] = {
    "organization", "repository", "target_region", "target_organization", "tag", "status"};
inline constexpr std::string_view kSyncRule[] = {
    "organization", "repository", "target_region", "target_organization", "sync_auto", "override"};
// What metrics.duration_labels may choose from.
inline constexpr std::string_view kDuration[] = {"organization", "repository", "target_region",
                                                 "target_organization", "status"};
inline constexpr std::string_view kReadReason[] = {"reason"};
inline constexpr std::string_view kApiCode[] = {"api", "code"};
inline constexpr std::string_view kApi[] = {"api"};
inline constexpr std::string_view kBuild[] = {"revision", "version"};
}  // namespace metric_labels

namespace family {

// The repositories' series (metrics/snapshot_text.cpp), in the order they are written.
inline constexpr MetricFamilySpec kSyncJobs{
    .name = "swr_sync_jobs",
    .type = MetricType::kGauge,
    .help = "Sync jobs the SWR API lists now, by destination and status",
    .labels = metric_labels::kDestinationStatus,
    .from_poll = true};
inline constexpr MetricFamilySpec kSyncJobDuration{
    .name = "swr_sync_job_duration_seconds",
    .type = MetricType::kHistogram,
    .help =
        "updatedAt - createdAt of sync jobs in a final status, each job observed once when "
        "first seen final",
    .labels = metric_labels::kDuration,
    .from_poll = true,
    .labels_configured = true};
inline constexpr MetricFamilySpec kSyncLastFinished{
    .name = "swr_sync_last_finished_timestamp_seconds",
    .type = MetricType::kGauge,
    .help = "updatedAt of the newest sync job that ended in this status",
    .labels = metric_labels::kDestinationStatus,
    .from_poll = true};
inline constexpr MetricFamilySpec kSyncOldestPending{
    .name = "swr_sync_oldest_pending_job_created_timestamp_seconds",
    .type = MetricType::kGauge,
    .help = "createdAt of the oldest sync job still waiting or running",
    .labels = metric_labels::kDestination,
    .from_poll = true};
inline constexpr MetricFamilySpec kSyncLatestJob{
    .name = "swr_sync_latest_job_info",
    .type = MetricType::kInfo,
    .help = "The newest sync job of each destination, value 1",
    .labels = metric_labels::kLatestJob,
    .from_poll = true};
inline constexpr MetricFamilySpec kRepositoryUp{
    .name = "swr_exporter_repository_up",
    .type = MetricType::kGauge,
    .help = "1 if the last fetch of this repository's sync jobs succeeded",
    .labels = metric_labels::kRepository,
    .from_poll = true};
inline constexpr MetricFamilySpec kSyncLatestJobCreated{
    .name = "swr_sync_latest_job_created_timestamp_seconds",
    .type = MetricType::kGauge,
    .help = "createdAt of the newest sync job of each destination",
    .labels = metric_labels::kDestination,
    .from_poll = true};
inline constexpr MetricFamilySpec kRepositoryLastPush{
    .name = "swr_repository_last_push_timestamp_seconds",
    .type = MetricType::kGauge,
    .help =
        "updated_at of the repository in the SWR repository listing: its last push or tag "
        "change",
    .labels = metric_labels::kRepository,
    .from_poll = true};
inline constexpr MetricFamilySpec kSyncRule{
    .name = "swr_sync_rule_info",
    .type = MetricType::kInfo,
    .help =
        "The repository's auto-sync rules (ListImageAutoSyncReposDetails, read at the "
        "discovery interval), value 1",
    .labels = metric_labels::kSyncRule,
    .from_poll = true};

// The cycle's gauges (metrics/snapshot_text.cpp), in the order they are written.
inline constexpr MetricFamilySpec kUp{
    .name = "swr_up",
    .type = MetricType::kGauge,
    .help = "1 if the last poll cycle fetched every repository, else 0.",
    .always_on = true};
inline constexpr MetricFamilySpec kCycleDuration{.name = "swr_exporter_cycle_duration_seconds",
                                                 .type = MetricType::kGauge,
                                                 .help = "Length of the last poll cycle."};
inline constexpr MetricFamilySpec kLastCycle{.name = "swr_exporter_last_cycle_timestamp_seconds",
                                             .type = MetricType::kGauge,
                                             .help = "End of the last poll cycle.",
                                             .always_on = true};
inline constexpr MetricFamilySpec kLastSuccess{
    .name = "swr_exporter_last_success_timestamp_seconds",
    .type = MetricType::kGauge,
    .help = "End of the last poll cycle that fetched every repository.",
    .always_on = true};
inline constexpr MetricFamilySpec kInitialPassComplete{
    .name = "swr_exporter_initial_pass_complete",
    .type = MetricType::kGauge,
    .help =
        "1 once every repository has been read at least once, else 0 (the first pass is still "
        "going: the repositories not read yet have no series).",
    .always_on = true};
inline constexpr MetricFamilySpec kRepositoryReads{
    .name = "swr_exporter_repository_reads_total",
    .type = MetricType::kCounter,
    .help =
        "Sync-job reads of a repository, by why the cycle read it: new, changed (its listing "
        "entry moved), pending (waiting or running jobs), retry (the last read failed), "
        "recheck (the sweep), fallback (no usable listing).",
    .labels = metric_labels::kReadReason};
inline constexpr MetricFamilySpec kRepositoriesSkipped{
    .name = "swr_exporter_repositories_skipped",
    .type = MetricType::kGauge,
    .help = "Repositories the last cycle did not need to read: nothing can have changed."};
inline constexpr MetricFamilySpec kOldestRepositoryReadAge{
    .name = "swr_exporter_oldest_repository_read_age_seconds",
    .type = MetricType::kGauge,
    .help = "Seconds since the stalest repository was last read (or, never read, first known)."};

// Calls to Huawei Cloud (metrics/api_metrics.cpp).
inline constexpr MetricFamilySpec kApiRequests{
    .name = "swr_exporter_api_requests_total",
    .type = MetricType::kCounter,
    .help =
        "Requests to Huawei Cloud by call (sync_job, token, namespaces, repos, sync_repo, "
        "metadata) and HTTP status (network for transport errors)",
    .labels = metric_labels::kApiCode};
inline constexpr MetricFamilySpec kApiRequestDuration{
    .name = "swr_exporter_api_request_duration_seconds",
    .type = MetricType::kHistogram,
    .help = "Latency of requests to Huawei Cloud by call",
    .labels = metric_labels::kApi};
inline constexpr MetricFamilySpec kTokenExpiry{
    .name = "swr_exporter_token_expiry_timestamp_seconds",
    .type = MetricType::kGauge,
    .help =
        "Expiry of the IAM token (password and token methods) or of the temporary keys "
        "(metadata method) in use"};
inline constexpr MetricFamilySpec kCredentialsRefused{
    .name = "swr_exporter_credentials_refused",
    .type = MetricType::kGauge,
    .help =
        "1 while the last authentication was refused: IAM answered the token request "
        "401/403, or SWR answered 401, or 403 with an API-gateway authentication code; 0 "
        "once an SWR request is accepted",
    .always_on = true};
inline constexpr MetricFamilySpec kRateLimit{
    .name = "swr_exporter_rate_limit_requests_per_second",
    .type = MetricType::kGauge,
    .help =
        "Requests a second the rate limiter allows now: scrape.max_requests_per_second, less "
        "while the API throttles"};

// The exporter itself (metrics/api_metrics.cpp, metrics/process_metrics.cpp).
inline constexpr MetricFamilySpec kBuildInfo{
    .name = "swr_exporter_build_info",
    .type = MetricType::kInfo,
    .help = "Version and revision of swr-sync-exporter, value 1",
    .labels = metric_labels::kBuild};
inline constexpr MetricFamilySpec kPollInterval{
    .name = "swr_exporter_poll_interval_seconds",
    .type = MetricType::kGauge,
    .help = "Time between two poll cycles (scrape.interval in use)",
    .always_on = true};
inline constexpr MetricFamilySpec kShardOrdinal{
    .name = "swr_exporter_shard_ordinal",
    .type = MetricType::kGauge,
    .help = "Which shard of the repositories this replica polls, from 0"};
inline constexpr MetricFamilySpec kTotalShards{
    .name = "swr_exporter_total_shards",
    .type = MetricType::kGauge,
    .help = "How many shards the repositories are split into"};
inline constexpr MetricFamilySpec kConfigReloadSuccessful{
    .name = "swr_exporter_config_last_reload_successful",
    .type = MetricType::kGauge,
    .help = "1 if the last reload of the configuration worked (or none was asked for)"};
inline constexpr MetricFamilySpec kConfigReloadSuccessTimestamp{
    .name = "swr_exporter_config_last_reload_success_timestamp_seconds",
    .type = MetricType::kGauge,
    .help = "When the configuration in use was loaded"};
// The standard process metrics, with the names and HELP texts of the Prometheus Go client.
inline constexpr MetricFamilySpec kProcessCpu{.name = "process_cpu_seconds_total",
                                              .type = MetricType::kCounter,
                                              .help =
                                                  "Total user and system CPU time spent in "
                                                  "seconds."};
inline constexpr MetricFamilySpec kProcessOpenFds{.name = "process_open_fds",
                                                  .type = MetricType::kGauge,
                                                  .help = "Number of open file descriptors."};
inline constexpr MetricFamilySpec kProcessMaxFds{
    .name = "process_max_fds",
    .type = MetricType::kGauge,
    .help = "Maximum number of open file descriptors."};
inline constexpr MetricFamilySpec kProcessVirtualMemory{.name = "process_virtual_memory_bytes",
                                                        .type = MetricType::kGauge,
                                                        .help = "Virtual memory size in bytes."};
inline constexpr MetricFamilySpec kProcessResidentMemory{.name = "process_resident_memory_bytes",
                                                         .type = MetricType::kGauge,
                                                         .help = "Resident memory size in bytes."};
inline constexpr MetricFamilySpec kProcessStartTime{
    .name = "process_start_time_seconds",
    .type = MetricType::kGauge,
    .help = "Start time of the process since unix epoch in seconds."};

}  // namespace family

inline constexpr std::array<MetricFamilySpec, 34> kMetricFamilies{{
    family::kSyncJobs,
    family::kSyncJobDuration,
    family::kSyncLastFinished,
    family::kSyncOldestPending,
    family::kSyncLatestJob,
    family::kRepositoryUp,
    family::kSyncLatestJobCreated,
    family::kRepositoryLastPush,
    family::kSyncRule,
    family::kUp,
    family::kCycleDuration,
    family::kLastCycle,
    family::kLastSuccess,
    family::kInitialPassComplete,
    family::kRepositoryReads,
    family::kRepositoriesSkipped,
    family::kOldestRepositoryReadAge,
    family::kApiRequests,
    family::kApiRequestDuration,
    family::kTokenExpiry,
    family::kCredentialsRefused,
    family::kRateLimit,
    family::kBuildInfo,
    family::kPollInterval,
    family::kShardOrdinal,
    family::kTotalShards,
    family::kConfigReloadSuccessful,
    family::kConfigReloadSuccessTimestamp,
    family::kProcessCpu,
    family::kProcessOpenFds,
    family::kProcessMaxFds,
    family::kProcessVirtualMemory,
    family::kProcessResidentMemory,
    family::kProcessStartTime,
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
