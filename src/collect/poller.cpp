#include "collect/poller.h"

#include <algorithm>
#include <unordered_map>

#include "collect/pager.h"
#include "collect/summary.h"
#include "log/logger.h"

namespace swr::collect {

namespace {

// The pages of a cycle, for SyncJobApi::list_pages: a repository's next page as soon as its last
// answer is in, a new repository only when none in progress wants a page, so a cycle holds the
// jobs of as many repositories as there are pages in flight. Each finished repository goes to
// `fold`. Once the credentials are refused, the repositories not begun are failed unasked.
class CyclePages final : public PageSource {
 public:
  using Fold = std::function<void(std::size_t, const RepositoryFetch&)>;
  CyclePages(const std::vector<RepositoryRef>& repositories, int page_size,
             const std::vector<std::optional<Shortcut>>& shortcuts, Fold fold)
      : repositories_(repositories),
        page_size_(page_size),
        shortcuts_(shortcuts),
        fold_(std::move(fold)) {}

  std::optional<PageQuery> next() override {
    while (ready_.empty() && begun_ < repositories_.size()) {
      const std::size_t i = begun_++;
      if (auth_failed_) {
        RepositoryFetch fetch;
        fetch.failure = {"not fetched: the credentials were refused earlier in this cycle", true};
        fold_(i, fetch);
        continue;
      }
      active_.try_emplace(i, page_size_, shortcuts_[i] ? &*shortcuts_[i] : nullptr);
      ready_.push_back(i);
    }
    if (ready_.empty()) return std::nullopt;
    const std::size_t i = ready_.back();
    ready_.pop_back();
    const PageWant want = *active_.at(i).next();
    return PageQuery{i, &repositories_[i], want.offset, want.limit};
  }

  void done(const PageQuery& query, PageResult result) override {
    RepositoryPager& pager = active_.at(query.tag);
    pager.take(std::move(result));
    if (pager.next()) {
      ready_.push_back(query.tag);
      return;
    }
    const RepositoryFetch fetch = std::move(pager).finish();
    active_.erase(query.tag);
    if (!fetch.ok && fetch.failure.authentication) auth_failed_ = true;
    fold_(query.tag, fetch);
  }

 private:
  const std::vector<RepositoryRef>& repositories_;
  int page_size_;
  const std::vector<std::optional<Shortcut>>& shortcuts_;
  Fold fold_;
  std::size_t begun_ = 0;
  std::unordered_map<std::size_t, RepositoryPager> active_;  // by index in repositories_
  std::vector<std::size_t> ready_;                           // active, wanting a page
  bool auth_failed_ = false;
};

}  // namespace

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
  if (repositories != options_.repositories) repositories_changed_ = true;
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
    s.arrived = m.arrived;
  }

  CycleReport report;
  report.repositories = repos.size();
  // Each repository's jobs are folded in as soon as they are read and then dropped, so a cycle
  // holds the jobs of `concurrency` repositories at most, not of all of them.
  bool series_changed = repositories_changed_;
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
      series_changed = true;
      log::warn("the repository does not exist; dropping its series",
                {{"organization", repos[i].organization},
                 {"repository", repos[i].repository},
                 {"api", "sync_job"},
                 {"err", fetch.failure.message}});
      return;
    }
    if (!fetch.ok) {
      ++report.failed;
      if (state.up) series_changed = true;
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
        series_changed = true;
      }
      for (const SyncJob& job : fetch.jobs) {
        if (is_pending(job.status)) now_pending.push_back(job);
      }
      std::vector<DestinationSummary> destinations = summarize(fetch.jobs);
      if (destinations != state.destinations) {
        series_changed = true;
        state.destinations = std::move(destinations);
      }
      state.jobs = static_cast<std::int64_t>(fetch.jobs.size());
      memory.arrived =
          memory.read_in_full ? std::max<std::int64_t>(0, state.jobs - memory.total) : 0;
      memory.read_in_full = true;
      memory.last_full_read = now;
    } else {
      // Only what is new or was pending can have changed since the last read.
      // A partial read always had a shortcut, whose lookup is already bound to the repository.
      std::vector<const SyncJob*> changed;
      for (const SyncJob& job : fetch.jobs) {
        if (!shortcuts[i]->is_known_final(job.id)) changed.push_back(&job);
      }
      for (const SyncJob* job : changed) {
        if (is_pending(job->status)) now_pending.push_back(*job);
      }
      for (const std::size_t position : ledger_.record_partial(repos[i], fetch.jobs)) {
        histogram_.observe(repos[i], fetch.jobs[position]);
        series_changed = true;
      }
      // Nothing new and nothing pending before or now: the figures stand as they are.
      if (!changed.empty() || !memory.pending.empty()) {
        std::vector<DestinationSummary> destinations =
            apply_changes(state.destinations, memory.pending, changed, now_pending);
        if (destinations != state.destinations) {
          series_changed = true;
          state.destinations = std::move(destinations);
        }
      }
      state.jobs = *fetch.total;
      memory.arrived = fetch.new_jobs;
      ++report.partial_reads;
    }
    memory.pending = std::move(now_pending);
    if (!state.up || !state.has_data || memory.total != state.jobs) series_changed = true;
    memory.total = state.jobs;
    state.up = true;
    state.has_data = true;
    report.jobs += state.jobs;
  };
  CyclePages pages(repos, options_.page_size, shortcuts, fold);
  api_->list_pages(pages, std::max(1, options_.concurrency), stop);
  if (stop.stop_requested()) {
    report.stopped = true;
    return report;
  }

  repositories_changed_ = false;
  if (series_changed) ++data_version_;

  auto snapshot = std::make_shared<Snapshot>();
  snapshot->data_version = data_version_;
  snapshot->repositories.reserve(states_.size());
  for (const auto& [ref, state] : states_) snapshot->repositories.push_back(state);
  // Which series the histogram keeps follows from the repositories' states alone.
  if (series_changed) histogram_.retain(snapshot->repositories);
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
