// The repositories' auto-sync rules (swr_sync_rule_info): one ListImageAutoSyncReposDetails call
// per repository, so they are read at the discovery interval, not every cycle, and only with what
// a cycle's request budget leaves after the listing and the sync-job reads.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <stop_token>
#include <vector>

#include "model/discovery_api.h"
#include "model/sync_job.h"

namespace swr::collect {

struct SyncRuleOptions {
  // Each repository's rules are read again this long after its last good read (discovery.interval).
  std::chrono::milliseconds refresh_interval{600'000};
  // The poll interval: a cycle reads at most repositories x interval / refresh_interval rules
  // that are due again (plus every repository never read), so the refresh is spread over the
  // refresh interval rather than coming due all at once.
  std::chrono::milliseconds interval{60'000};
  int in_flight = 4;  // rule reads at the same time
};

struct SyncRuleReport {
  std::size_t read = 0;      // successful reads
  std::size_t failed = 0;    // failed reads (their repositories keep their last rules)
  std::size_t due_left = 0;  // due repositories this cycle did not read
};

class SyncRuleReader {
 public:
  using Found = std::function<void(const RepositoryRef&, std::vector<SyncRule>)>;

  SyncRuleReader(SyncRuleOptions options, DiscoveryApi& api);
  void reconfigure(SyncRuleOptions options, DiscoveryApi& api) {
    options_ = options;
    api_ = &api;
  }

  // Reads the rules of at most `max_reads` of `repositories` that are due: those never read well
  // first (in their order), then those whose last good read is the oldest and at least
  // refresh_interval old. Each read that succeeds goes to `found` (sorted, each rule once); a
  // failure is logged once per repository until its next good read, and an authentication
  // failure ends the cycle's reads. Repositories no longer in `repositories` are forgotten.
  SyncRuleReport refresh(const std::vector<RepositoryRef>& repositories, std::size_t max_reads,
                         std::chrono::steady_clock::time_point now, std::stop_token stop,
                         const Found& found);

 private:
  struct Entry {
    std::optional<std::chrono::steady_clock::time_point> last_read;  // last good read
    bool failing = false;  // the last read failed (said once)
  };
  SyncRuleOptions options_;
  DiscoveryApi* api_;
  std::map<RepositoryRef, Entry> entries_;
};

}  // namespace swr::collect
