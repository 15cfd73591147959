#include "model/sync_job.h"

namespace swr {

namespace {
constexpr std::array<std::string_view, kStatusCount> kNames = {
    "waiting", "running", "success", "failed", "timeout", "cancel", "existed", "unknown"};
}  // namespace

std::string_view to_string(SyncStatus status) { return kNames[index_of(status)]; }

SyncStatus parse_sync_status(std::string_view text) {
  for (std::size_t i = 0; i + 1 < kNames.size(); ++i) {
    if (kNames[i] == text) return static_cast<SyncStatus>(i);
  }
  return SyncStatus::kUnknown;
}

double SyncJob::duration_seconds() const {
  if (updated_at_us <= created_at_us) return 0.0;
  return static_cast<double>(updated_at_us - created_at_us) / 1e6;
}

}  // namespace swr
