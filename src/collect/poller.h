// One poll cycle: choose which repositories can have changed (the listing's change hints, pending
// jobs, failed reads, the recheck sweep), fetch those (a few at a time), fold the results into
// the ledger and the histogram, and hand on an immutable Snapshot.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <stop_token>
#include <string>
#include <vector>

#include "collect/change_hints.h"
#include "collect/duration_histogram.h"
#include "collect/job_ledger.h"
#include "collect/snapshot.h"
#include "model/clock.h"
#include "model/discovery_api.h"
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
  // A quiet repository (listing unmoved, nothing pending, last read good) is read again at least
  // this often, the sweep spread over the interval, oldest first. 0: every repository every
  // cycle, with no listing.
  std::chrono::milliseconds recheck_interval{0};
  // The cycle interval and the request rate bound what a cycle spends on new repositories and
  // rechecks, so a long first pass or a sweep never holds back changed repositories. 0: no bound.
  std::chrono::milliseconds interval{60'000};
  double max_requests_per_second = 0;
  // During a long cycle, what has been read is published at least this often.
  std::chrono::milliseconds progress_period{5'000};
  // false when swr_sync_job_duration_seconds is not served ([metrics] disabled): nothing is
  // observed, so the histogram costs nothing.
  bool observe_durations = true;
};

// What one cycle is given besides the options.
struct CycleInput {
  const ChangeHints* hints = nullptr;  // none: no listing this cycle
  // Without change hints, the listing discovery made this cycle, if any: only the repositories'
  // last push is taken from it.
  const ChangeHints* discovery_listing = nullptr;
  int listing_requests = 0;      // already spent on the listing this cycle
  bool read_everything = false;  // --once: every repository, unbounded
  // Receives a snapshot of what has been read so far, during a long cycle.
  std::function<void(std::shared_ptr<const Snapshot>)> progress;
};

struct CycleReport {
  std::size_t repositories = 0;
  std::size_t failed = 0;
  std::int64_t jobs = 0;
  int requests = 0;
  std::size_t partial_reads = 0;                      // repositories read only as far as needed
  std::array<std::size_t, kReadReasonCount> reads{};  // by ReadReason
  std::size_t skipped = 0;  // repositories this cycle did not need to read
  // New repositories the budget left for the next cycle: a first pass still going, whose next
  // cycle may start at once.
  std::size_t new_left = 0;
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
           options.duration_labels == options_.duration_labels &&
           options.observe_durations == options_.observe_durations;
  }
  void reconfigure(const PollOptions& options, SyncJobApi& api) {
    options_.page_size = options.page_size;
    options_.concurrency = options.concurrency;
    options_.full_resync_interval = options.full_resync_interval;
    options_.recheck_interval = options.recheck_interval;
    options_.interval = options.interval;
    options_.max_requests_per_second = options.max_requests_per_second;
    options_.progress_period = options.progress_period;
    api_ = &api;
  }
  // While discovery fails, cycles poll the last list found but do not count as successful.
  void set_discovery_failed(bool failed) { discovery_failed_ = failed; }
  std::size_t tracked_jobs() const { return ledger_.tracked_jobs(); }

  // Runs one cycle. Never overlaps itself: call it from one thread.
  CycleReport run_cycle(const CycleInput& input, std::stop_token stop);
  CycleReport run_cycle(std::stop_token stop) { return run_cycle(CycleInput{}, stop); }
  // A repository's auto-sync rules as just read; ignored for one no longer polled. The snapshot
  // shows them from the next republish() or cycle.
  void set_sync_rules(const RepositoryRef& ref, std::vector<SyncRule> rules);
  // A new snapshot of what is known now, with the last finished cycle's figures.
  void republish();
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
    // For the change hints: when it was first known and last read well, the listing's entry
    // then (empty: none usable), whether the last read failed or was cut short, and the listing
    // problem last logged.
    std::chrono::system_clock::time_point known_since{};
    std::optional<std::chrono::system_clock::time_point> last_read;
    std::string fingerprint;
    bool last_failed = false;
    std::string logged_problem;
  };
  struct Read {
    std::size_t index;  // in options_.repositories
    ReadReason reason;
  };
  // The repositories this cycle reads, most urgent first.
  std::vector<Read> plan(const CycleInput& input, std::chrono::system_clock::time_point now,
                         CycleReport& report);
  std::shared_ptr<Snapshot> make_snapshot(std::chrono::system_clock::time_point now);
  // The repositories' last push from this cycle's listing.
  void note_pushes(const ChangeHints& listing);
  std::map<RepositoryRef, RepositoryState> states_;
  std::map<RepositoryRef, Memory> memory_;
  std::optional<double> last_success_end_;
  bool discovery_failed_ = false;
  bool repositories_changed_ = true;  // since the last snapshot
  bool series_changed_ = false;       // since the last snapshot
  std::array<std::uint64_t, kReadReasonCount> reads_{};
  double recheck_credit_ = 0;    // rechecks owed by the sweep, carried across cycles
  bool recheck_behind_ = false;  // the sweep is behind recheck_interval (said once)
  std::optional<std::chrono::system_clock::time_point> last_plan_;
  bool initial_pass_complete_ = false;
  std::size_t last_skipped_ = 0;
  std::uint64_t data_version_ = 0;  // Snapshot::data_version of the last snapshot
  std::shared_ptr<const Snapshot> snapshot_;
};

}  // namespace swr::collect
