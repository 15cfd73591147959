#include "collect/poller.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>

#include "collect/pager.h"
#include "collect/summary.h"
#include "log/logger.h"

namespace swr::collect {

Poller::Poller(PollOptions options, SyncJobApi& api, Clock& clock)
    : options_(std::move(options)),
      api_(&api),
      clock_(clock),
      histogram_(options_.duration_labels, options_.duration_buckets),
      snapshot_(std::make_shared<Snapshot>()) {
  for (const RepositoryRef& ref : options_.repositories) states_[ref].ref = ref;
}

void Poller::set_repositories(std::vector<RepositoryRef> repositories) {
  std::sort(repositories.begin(), repositories.end());
  repositories.erase(std::unique(repositories.begin(), repositories.end()), repositories.end());
  for (auto it = states_.begin(); it != states_.end();) {
    if (std::binary_search(repositories.begin(), repositories.end(), it->first)) {
      ++it;
      continue;
    }
    ledger_.forget(it->first);
    memory_.erase(it->first);
    it = states_.erase(it);
  }
  for (const RepositoryRef& ref : repositories) states_[ref].ref = ref;
  options_.repositories = std::move(repositories);
}

CycleReport Poller::run_cycle(std::stop_token stop) {
  const auto steady_start = std::chrono::steady_clock::now();
  const std::vector<RepositoryRef>& repos = options_.repositories;
  api_->start_cycle(repos.size());

  // Shortcuts for the repositories read in full recently enough; the rest are read in full.
  const auto now = clock_.now();
  std::vector<std::optional<Shortcut>> shortcuts(repos.size());
  for (std::size_t i = 0; i < repos.size(); ++i) {
    const Memory& m = memory_[repos[i]];
    if (!m.read_in_full || now - m.last_full_read >= options_.full_resync_interval) continue;
    Shortcut& s = shortcuts[i].emplace();
    s.is_known_final = ledger_.known_final_lookup(repos[i]);
    for (const SyncJob& job : m.pending) s.pending_ids.insert(job.id);
    s.total = m.total;
  }

  CycleReport report;
  report.repositories = repos.size();
  // Each repository's jobs are folded in as soon as they are read and then dropped, so a cycle
  // holds the jobs of `concurrency` repositories at most, not of all of them. Folding is serial.
  std::mutex fold_mutex;
  auto fold = [&](std::size_t i, const RepositoryFetch& fetch) {
    RepositoryState& state = states_[repos[i]];
    report.requests += fetch.requests;
    for (const std::string& warning : fetch.warnings) {
      log::warn("paging ended early or the API's count disagreed",
                {{"organization", repos[i].organization},
                 {"repository", repos[i].repository},
                 {"api", "sync_job"},
                 {"err", warning}});
    }
    if (!fetch.ok && fetch.failure.not_found) {
      // Deleted, or never there: nothing of it stays on /metrics but its _up of 0.
      ++report.failed;
      state = RepositoryState{};
      state.ref = repos[i];
      ledger_.forget(repos[i]);
      memory_.erase(repos[i]);
      log::warn("the repository does not exist; dropping its series",
                {{"organization", repos[i].organization},
                 {"repository", repos[i].repository},
                 {"api", "sync_job"},
                 {"err", fetch.failure.message}});
      return;
    }
    if (!fetch.ok) {
      ++report.failed;
      state.up = false;
      log::warn("could not fetch the repository's sync jobs; keeping its last data",
                {{"organization", repos[i].organization},
                 {"repository", repos[i].repository},
                 {"api", "sync_job"},
                 {"err", fetch.failure.message}});
      report.jobs += state.jobs;
      return;
    }
    Memory& memory = memory_[repos[i]];
    std::vector<SyncJob> now_pending;
    if (fetch.complete) {
      for (const std::size_t position : ledger_.record(repos[i], fetch.jobs)) {
        histogram_.observe(repos[i], fetch.jobs[position]);
      }
      for (const SyncJob& job : fetch.jobs) {
        if (is_pending(job.status)) now_pending.push_back(job);
      }
      state.destinations = summarize(fetch.jobs);
      state.jobs = static_cast<std::int64_t>(fetch.jobs.size());
      memory.read_in_full = true;
      memory.last_full_read = now;
    } else {
      // Only what is new or was pending can have changed since the last read.
      std::vector<const SyncJob*> changed;
      for (const SyncJob& job : fetch.jobs) {
        if (!ledger_.is_known_final(repos[i], job.id)) changed.push_back(&job);
      }
      for (const SyncJob* job : changed) {
        if (is_pending(job->status)) now_pending.push_back(*job);
      }
      for (const std::size_t position : ledger_.record_partial(repos[i], fetch.jobs)) {
        histogram_.observe(repos[i], fetch.jobs[position]);
      }
      state.destinations = apply_changes(state.destinations, memory.pending, changed, now_pending);
      state.jobs = *fetch.total;
      ++report.partial_reads;
    }
    memory.pending = std::move(now_pending);
    memory.total = state.jobs;
    state.up = true;
    state.has_data = true;
    report.jobs += state.jobs;
  };

  std::atomic<std::size_t> next{0};
  std::atomic<bool> auth_failed{false};
  auto worker = [&] {
    for (std::size_t i = next++; i < repos.size(); i = next++) {
      RepositoryFetch fetch;
      if (auth_failed.load()) {
        fetch.failure = {"not fetched: the credentials were refused earlier in this cycle", true};
      } else {
        fetch = fetch_repository(*api_, repos[i], options_.page_size, stop,
                                 shortcuts[i] ? &*shortcuts[i] : nullptr);
        if (!fetch.ok && fetch.failure.authentication) auth_failed = true;
      }
      if (stop.stop_requested()) return;
      std::lock_guard lock(fold_mutex);
      fold(i, fetch);
    }
  };
  const std::size_t workers =
      std::min<std::size_t>(static_cast<std::size_t>(std::max(1, options_.concurrency)),
                            std::max<std::size_t>(1, repos.size()));
  {
    std::vector<std::jthread> pool;
    for (std::size_t w = 1; w < workers; ++w) pool.emplace_back(worker);
    worker();
  }
  if (stop.stop_requested()) {
    report.stopped = true;
    return report;
  }

  auto snapshot = std::make_shared<Snapshot>();
  snapshot->repositories.reserve(states_.size());
  for (const auto& [ref, state] : states_) snapshot->repositories.push_back(state);
  histogram_.retain(snapshot->repositories);
  snapshot->duration_labels = histogram_.labels();
  snapshot->duration_buckets = histogram_.buckets();
  snapshot->durations = histogram_.series();
  const auto end = clock_.now();
  report.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - steady_start).count();
  snapshot->cycle_done = true;
  snapshot->up = report.failed == 0 && !discovery_failed_;
  snapshot->cycle_duration_seconds = report.seconds;
  snapshot->last_cycle_end = to_unix_seconds(end);
  if (snapshot->up) last_success_end_ = snapshot->last_cycle_end;
  snapshot->last_success_end = last_success_end_;
  snapshot_ = std::move(snapshot);
  return report;
}

}  // namespace swr::collect
