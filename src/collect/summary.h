// Per-destination figures of a repository: computed from a full read, or carried forward from the
// last ones with the changes a partial read saw.
#pragma once

#include <vector>

#include "collect/snapshot.h"
#include "model/sync_job.h"

namespace swr::collect {

std::vector<DestinationSummary> summarize(const std::vector<SyncJob>& jobs);

// `changed`: jobs read now that were pending before or are new; `previous_pending`: the jobs that
// were waiting or running after the last read; `now_pending`: those that are now.
std::vector<DestinationSummary> apply_changes(const std::vector<DestinationSummary>& summary,
                                              const std::vector<SyncJob>& previous_pending,
                                              const std::vector<const SyncJob*>& changed,
                                              const std::vector<SyncJob>& now_pending);

}  // namespace swr::collect
