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
  // Every repository is read in full at least this often; in between, cycles stop paging once
  // nothing older can have changed.
  std::chrono::milliseconds full_resync_interval{3'600'000};
};

struct CycleReport {
  std::size_t repositories = 0;
  std::size_t failed = 0;
  std::int64_t jobs = 0;
  int requests = 0;
  std::size_t partial_reads = 0;  // repositories read only as far as needed
  double seconds = 0;
  bool stopped = false;  // shutdown cut the cycle short; nothing was published
};

class Poller {
 public:
  Poller(PollOptions options, SyncJobApi& api, Clock& clock);

  // The repositories to poll from the next cycle on. Those no longer listed are forgotten: their
  // series go with the next snapshot.
  void set_repositories(std::vector<RepositoryRef> repositories);
  const std::vector<RepositoryRef>& repositories() const { return options_.repositories; }
  // A reloaded configuration with the same histogram shape keeps the ledger (and so
  // exactly-once) and takes the new client and settings from the next cycle on.
  bool can_take(const PollOptions& options) const {
    return options.duration_buckets == options_.duration_buckets &&
           options.duration_labels == options_.duration_labels;
  }
  void reconfigure(const PollOptions& options, SyncJobApi& api) {
    options_.page_size = options.page_size;
    options_.concurrency = options.concurrency;
    options_.full_resync_interval = options.full_resync_interval;
    api_ = &api;
  }
  // While discovery fails, cycles poll the last list found but do not count as successful.
  void set_discovery_failed(bool failed) { discovery_failed_ = failed; }
  std::size_t tracked_jobs() const { return ledger_.tracked_jobs(); }

  // Runs one cycle. Never overlaps itself: call it from one thread.
  CycleReport run_cycle(std::stop_token stop);
  std::shared_ptr<const Snapshot> snapshot() const { return snapshot_; }

 private:
  PollOptions options_;
  SyncJobApi* api_;
  Clock& clock_;
  JobLedger ledger_;
  DurationHistogram histogram_;
  // What a repository's last good read left behind, beyond its figures in states_.
  struct Memory {
    bool read_in_full = false;
    std::chrono::system_clock::time_point last_full_read{};
    std::int64_t total = 0;
    std::vector<SyncJob> pending;  // jobs that were waiting or running
    std::int64_t arrived = 0;      // new jobs the last read found
  };
  std::map<RepositoryRef, RepositoryState> states_;
  std::map<RepositoryRef, Memory> memory_;
  std::optional<double> last_success_end_;
  bool discovery_failed_ = false;
  bool repositories_changed_ = true;  // since the last snapshot
  std::uint64_t data_version_ = 0;    // Snapshot::data_version of the last snapshot
  std::shared_ptr<const Snapshot> snapshot_;
};

}  // namespace swr::collect
