// One poll cycle: fetch every repository (a few at a time), fold the results into the ledger and
// the histogram, and hand on an immutable Snapshot.
#pragma once

#include <map>
#include <memory>
#include <stop_token>
#include <string>
#include <vector>

#include "collect/duration_histogram.h"
#include "collect/job_ledger.h"
#include "collect/snapshot.h"
#include "model/clock.h"
#include "model/sync_job_api.h"

namespace swr::collect {

struct PollOptions {
  std::vector<RepositoryRef> repositories;
  int page_size = 100;
  int concurrency = 4;
  std::vector<double> duration_buckets;
  std::vector<std::string> duration_labels;
};

struct CycleReport {
  std::size_t repositories = 0;
  std::size_t failed = 0;
  std::int64_t jobs = 0;
  int requests = 0;
  double seconds = 0;
  bool stopped = false;  // shutdown cut the cycle short; nothing was published
};

class Poller {
 public:
  Poller(PollOptions options, SyncJobApi& api, Clock& clock);

  // Runs one cycle. Never overlaps itself: call it from one thread.
  CycleReport run_cycle(std::stop_token stop);
  std::shared_ptr<const Snapshot> snapshot() const { return snapshot_; }

 private:
  PollOptions options_;
  SyncJobApi& api_;
  Clock& clock_;
  JobLedger ledger_;
  DurationHistogram histogram_;
  std::map<RepositoryRef, RepositoryState> states_;
  std::optional<double> last_success_end_;
  std::shared_ptr<const Snapshot> snapshot_;
};

}  // namespace swr::collect
