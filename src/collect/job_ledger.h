// What exactly-once needs to remember between cycles: which jobs were already seen final.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "collect/snapshot.h"
#include "model/sync_job.h"

namespace swr::collect {

class JobLedger {
 public:
  // Records a complete read of a repository. Returns the positions in `jobs` of the jobs seen in
  // a final status for the first time: each is to be observed exactly once. Ids the API no longer
  // lists are forgotten after kForgetAfterMisses reads in a row without them (a job can slip
  // between pages for one read while others are deleted; forgetting it at once would count it
  // again when it reappears).
  std::vector<std::size_t> record(const RepositoryRef& repository,
                                  const std::vector<SyncJob>& jobs);
  void forget(const RepositoryRef& repository);
  std::size_t tracked_jobs() const;

  static constexpr std::uint8_t kForgetAfterMisses = 3;

 private:
  struct Entry {
    std::int64_t id;
    std::uint8_t misses;
  };
  std::map<RepositoryRef, std::vector<Entry>> final_seen_;  // each sorted by id
};

// The per-destination figures of one repository's job list.
std::vector<DestinationSummary> summarize(const std::vector<SyncJob>& jobs);

}  // namespace swr::collect
