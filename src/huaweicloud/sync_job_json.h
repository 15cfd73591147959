// ShowSyncJob response bodies -> SyncJob values. Every field is type-checked before it is read.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "model/result.h"
#include "model/sync_job.h"

namespace swr::huaweicloud {

// A bare JSON array of SyncJob objects. Unknown keys are ignored; `id`, `createdAt`, `updatedAt`
// and `status` are required; the other strings default to empty. Strings are made valid UTF-8.
// On failure: what was wrong and where, e.g. "element 3: `createdAt` is not a timestamp: \"x\"".
Result<std::vector<SyncJob>> parse_sync_jobs(std::string_view body);
// The same, parsing in place: faster, and `body` is left garbled.
Result<std::vector<SyncJob>> parse_sync_jobs_in_place(std::string& body);

}  // namespace swr::huaweicloud
