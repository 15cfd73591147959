// What exactly-once needs to remember between cycles: which jobs were already seen final.
#pragma once

#include <cstdint>
#include <functional>
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
  // Records a partial read (the newest pages only): adds the final jobs not yet known and returns
  // their positions; forgets nothing, since the jobs not read were simply not reached.
  std::vector<std::size_t> record_partial(const RepositoryRef& repository,
                                          const std::vector<SyncJob>& jobs);
  bool is_known_final(const RepositoryRef& repository, std::int64_t id) const;
  // For the pager's shortcut: a lookup into this repository's ids, valid until the next record,
  // record_partial or forget.
  std::function<bool(std::int64_t)> known_final_lookup(const RepositoryRef& repository) const;
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

}  // namespace swr::collect
