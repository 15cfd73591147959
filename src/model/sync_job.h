// The domain model: one SWR image sync job as the API lists it.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace swr {

// The seven statuses the API documents, plus `unknown` for anything else it may send.
enum class SyncStatus : std::uint8_t {
  kWaiting,
  kRunning,
  kSuccess,
  kFailed,
  kTimeout,
  kCancel,
  kExisted,
  kUnknown,
};

inline constexpr std::size_t kStatusCount = 8;
inline constexpr std::array<SyncStatus, 7> kDocumentedStatuses = {
    SyncStatus::kWaiting, SyncStatus::kRunning, SyncStatus::kSuccess, SyncStatus::kFailed,
    SyncStatus::kTimeout, SyncStatus::kCancel,  SyncStatus::kExisted};
inline constexpr std::array<SyncStatus, 5> kFinalStatuses = {
    SyncStatus::kSuccess, SyncStatus::kFailed, SyncStatus::kTimeout, SyncStatus::kCancel,
    SyncStatus::kExisted};

std::string_view to_string(SyncStatus status);
SyncStatus parse_sync_status(std::string_view text);

// waiting and running are in flight; the API does not document which statuses are final, and we
// take the other five documented ones. `unknown` is neither: it is counted but never timed.
constexpr bool is_pending(SyncStatus s) {
  return s == SyncStatus::kWaiting || s == SyncStatus::kRunning;
}
constexpr bool is_final(SyncStatus s) {
  return s == SyncStatus::kSuccess || s == SyncStatus::kFailed || s == SyncStatus::kTimeout ||
         s == SyncStatus::kCancel || s == SyncStatus::kExisted;
}
constexpr std::size_t index_of(SyncStatus s) { return static_cast<std::size_t>(s); }

struct SyncJob {
  std::int64_t id = 0;
  std::int64_t created_at_us = 0;  // microseconds since the Unix epoch, UTC
  std::int64_t updated_at_us = 0;
  std::string organization;         // `namespace`
  std::string repository;           // `repoName`, with `/` (never `$`)
  std::string tag;                  // `tag`
  std::string target_region;        // `remoteRegionId`
  std::string target_organization;  // `remoteNamespace`
  SyncStatus status = SyncStatus::kUnknown;

  // updatedAt - createdAt in seconds; never negative (a clock-skewed job counts as 0).
  double duration_seconds() const;
};

// Which repository a job list belongs to. `repository` keeps its `/`; only the URL uses `$`.
struct RepositoryRef {
  std::string organization;
  std::string repository;

  friend bool operator==(const RepositoryRef&, const RepositoryRef&) = default;
  // NOLINTNEXTLINE(modernize-use-nullptr): clang-tidy 14 misreads a defaulted <=>.
  friend auto operator<=>(const RepositoryRef&, const RepositoryRef&) = default;
};

}  // namespace swr
