// What one poll cycle knows, as an immutable value handed to the metrics stage.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/discovery_api.h"
#include "model/sync_job.h"

namespace swr::collect {

struct DestinationSummary {
  bool operator==(const DestinationSummary&) const = default;

  std::string target_region;
  std::string target_organization;
  std::array<std::int64_t, kStatusCount> counts{};
  // updatedAt of the newest job that ended in each status (final statuses only).
  std::array<std::optional<std::int64_t>, kStatusCount> last_finished_us{};
  std::optional<std::int64_t> oldest_pending_created_us;
  // The newest job (by createdAt, then id).
  std::int64_t latest_created_us = 0;
  std::int64_t latest_id = 0;
  std::string latest_tag;
  SyncStatus latest_status = SyncStatus::kUnknown;
};

// Why a cycle reads a repository's sync jobs (swr_exporter_repository_reads_total{reason}).
enum class ReadReason { kNew, kChanged, kPending, kRetry, kRecheck, kFallback };
inline constexpr std::size_t kReadReasonCount = 6;
inline constexpr std::array<std::string_view, kReadReasonCount> kReadReasonNames = {
    "new", "changed", "pending", "retry", "recheck", "fallback"};

struct RepositoryState {
  bool operator==(const RepositoryState&) const = default;

  RepositoryRef ref;
  bool attempted = false;  // a fetch was made: until then it has no series at all
  bool up = false;         // the last fetch succeeded
  bool has_data = false;   // some fetch ever succeeded: destinations are its result
  std::vector<DestinationSummary> destinations;  // sorted by (target_region, target_organization)
  std::int64_t jobs = 0;
  // The listing's `updated_at` (its last push or tag change), as last listed; none until then.
  std::optional<std::int64_t> last_push_us;
  // Its auto-sync rules as last read (sorted, each once); none until a read succeeded.
  std::optional<std::vector<SyncRule>> sync_rules;
};

struct HistogramSeries {
  std::vector<std::string> label_values;     // in the order of Snapshot::duration_labels
  std::vector<std::uint64_t> bucket_counts;  // per bucket, not cumulative; last is +Inf
  std::uint64_t count = 0;
  double sum = 0;
};

struct Snapshot {
  std::vector<RepositoryState> repositories;  // sorted by ref
  std::vector<std::string> duration_labels;
  std::vector<double> duration_buckets;
  std::vector<HistogramSeries> durations;  // sorted by label_values
  // Changes whenever repositories, their states or the durations do: two snapshots with the same
  // non-zero version have the same series for them. 0: unknown, nothing may be assumed.
  std::uint64_t data_version = 0;

  bool cycle_done = false;  // false until the first cycle has finished
  // Every repository has been read (or tried) at least once. Until then snapshots are published
  // as the first pass goes, with the repositories read so far.
  bool initial_pass_complete = false;
  std::array<std::uint64_t, kReadReasonCount> reads{};  // since start, by ReadReason
  std::size_t repositories_skipped = 0;                 // by the last finished cycle
  // How long ago the stalest repository was last read (or, never read, first known).
  std::optional<double> oldest_read_age_seconds;
  bool up = false;  // the last cycle fetched every repository
  double cycle_duration_seconds = 0;
  double last_cycle_end = 0;
  std::optional<double> last_success_end;
};

}  // namespace swr::collect
