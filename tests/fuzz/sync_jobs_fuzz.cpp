// parse_sync_jobs over arbitrary ShowSyncJob response bodies.
#include "fuzz_check.h"
#include "huaweicloud/sync_job_json.h"
#include "model/timestamp.h"
#include "model/utf8.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto parsed = swr::huaweicloud::parse_sync_jobs(swr::fuzz::as_text(data, size));
  // Jobs or an error, never both (the Result's shape); the error goes into logs, so it must be
  // UTF-8 too.
  if (!parsed) {
    FUZZ_CHECK(swr::is_valid_utf8(parsed.error()));
    return 0;
  }
  for (const swr::SyncJob& job : *parsed) {
    // These become label values in the exposition, which must be UTF-8.
    FUZZ_CHECK(swr::is_valid_utf8(job.organization));
    FUZZ_CHECK(swr::is_valid_utf8(job.repository));
    FUZZ_CHECK(swr::is_valid_utf8(job.tag));
    FUZZ_CHECK(swr::is_valid_utf8(job.target_region));
    FUZZ_CHECK(swr::is_valid_utf8(job.target_organization));
    FUZZ_CHECK(swr::index_of(job.status) < swr::kStatusCount);
    FUZZ_CHECK(job.duration_seconds() >= 0);
    FUZZ_CHECK(swr::parse_timestamp_us(swr::format_timestamp_us(job.created_at_us)) ==
               job.created_at_us);
  }
  return 0;
}
