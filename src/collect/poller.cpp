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
  const auto now = clock_.now();
  for (const RepositoryRef& ref : repositories) {
    if (states_.try_emplace(ref).second) {
      states_[ref].ref = ref;
      memory_[ref].known_since = now;
    }
  }
  if (repositories != options_.repositories) repositories_changed_ = true;
  options_.repositories = std::move(repositories);
}

namespace {

void log_listing_problem(const RepositoryRef& ref, std::string_view problem) {
  log::warn(
      "the repository listing gives no change hint for this repository; reading it every "
      "cycle until it does",
      {{"organization", ref.organization},
       {"repository", ref.repository},
       {"api", "repos"},
       {"err", std::string(problem)}});
}

}  // namespace

std::vector<Poller::Read> Poller::plan(const CycleInput& input,
                                       std::chrono::system_clock::time_point now,
                                       CycleReport& report) {
  const std::vector<RepositoryRef>& repos = options_.repositories;
  const bool hinted = options_.recheck_interval.count() > 0 && !input.read_everything;
  std::vector<Read> urgent;        // changed, pending, retry, fallback
  std::vector<std::size_t> fresh;  // new
  std::vector<std::size_t> quiet;  // candidates for the recheck sweep
  for (std::size_t i = 0; i < repos.size(); ++i) {
    Memory& m = memory_[repos[i]];
    if (m.known_since == std::chrono::system_clock::time_point{}) m.known_since = now;
    const bool attempted = states_[repos[i]].attempted;
    if (!attempted) {
      fresh.push_back(i);
      continue;
    }
    if (m.last_failed || !m.last_read) {
      urgent.push_back({i, ReadReason::kRetry});
      continue;
    }
    if (!m.pending.empty()) {
      urgent.push_back({i, ReadReason::kPending});
      continue;
    }
    if (!hinted) {
      urgent.push_back({i, ReadReason::kRecheck});
      continue;
    }
    const Hint hint = input.hints != nullptr ? input.hints->lookup(repos[i]) : Hint{};
    switch (hint.kind) {
      case Hint::Kind::kFingerprint:
        m.logged_problem.clear();
        if (*hint.fingerprint != m.fingerprint) {
          urgent.push_back({i, ReadReason::kChanged});
        } else {
          quiet.push_back(i);
        }
        break;
      case Hint::Kind::kUnlisted:
        // Deleted since, or a configured name the listing does not have: read it to know.
        urgent.push_back({i, m.fingerprint.empty() ? ReadReason::kFallback : ReadReason::kChanged});
        if (m.fingerprint.empty() && m.logged_problem != "unlisted") {
          m.logged_problem = "unlisted";
          log_listing_problem(repos[i], "not in its organization's listing");
        }
        break;
      case Hint::Kind::kUnusable:
        urgent.push_back({i, ReadReason::kFallback});
        if (m.logged_problem != *hint.problem) {
          m.logged_problem = *hint.problem;
          log_listing_problem(repos[i], *hint.problem);
        }
        break;
      case Hint::Kind::kListingFailed:
      case Hint::Kind::kNone:
        urgent.push_back({i, ReadReason::kFallback});
        break;
    }
  }
  std::stable_sort(urgent.begin(), urgent.end(),
                   [](const Read& a, const Read& b) { return a.reason < b.reason; });

  // New repositories and the sweep share what the cycle's request budget leaves; at least a
  // tenth of it, so the first pass always moves on.
  std::size_t room = repos.size();
  const double seconds =
      std::chrono::duration<double>(std::max(options_.interval, std::chrono::milliseconds{10'000}))
          .count();
  if (hinted && options_.max_requests_per_second > 0) {
    const auto budget = static_cast<std::int64_t>(options_.max_requests_per_second * seconds * 0.9);
    const std::int64_t left =
        budget - input.listing_requests - static_cast<std::int64_t>(urgent.size());
    room = static_cast<std::size_t>(std::max<std::int64_t>({left, budget / 10, 1}));
  }
  std::vector<Read> reads = std::move(urgent);
  for (std::size_t k = 0; k < fresh.size() && k < room; ++k) {
    reads.push_back({fresh[k], ReadReason::kNew});
  }
  report.new_left = fresh.size() - std::min(room, fresh.size());
  room -= std::min(room, fresh.size());

  if (hinted && !quiet.empty()) {
    // The sweep: the longest-unread first, as many a cycle as spreads them evenly over the
    // recheck interval; and any that reached it, whatever the spread.
    const auto elapsed =
        last_plan_
            ? std::max(now - *last_plan_, std::chrono::system_clock::duration{})
            : std::chrono::duration_cast<std::chrono::system_clock::duration>(options_.interval);
    const double owed = static_cast<double>(quiet.size()) *
                        std::chrono::duration<double>(elapsed).count() /
                        std::chrono::duration<double>(options_.recheck_interval).count();
    // Credit a cycle could not spend (the first pass took the budget) is not carried as a burst
    // into the next: the rechecks that became due are read anyway.
    recheck_credit_ = std::min(recheck_credit_ + owed, owed + 1);
    std::sort(quiet.begin(), quiet.end(), [&](std::size_t a, std::size_t b) {
      return *memory_[repos[a]].last_read < *memory_[repos[b]].last_read;
    });
    const auto due_by = now - options_.recheck_interval;
    std::size_t due = 0;
    while (due < quiet.size() && *memory_[repos[quiet[due]]].last_read <= due_by) ++due;
    const std::size_t take =
        std::min({std::max(due, static_cast<std::size_t>(recheck_credit_)), quiet.size(), room});
    recheck_credit_ = std::max(0.0, recheck_credit_ - static_cast<double>(take));
    for (std::size_t k = 0; k < take; ++k) reads.push_back({quiet[k], ReadReason::kRecheck});
    // Said when it starts and when it ends, not every cycle.
    const bool behind = due > take;
    if (behind != recheck_behind_) {
      recheck_behind_ = behind;
      if (behind) {
        log::warn(
            "the request budget cannot keep up with the recheck sweep: quiet repositories are "
            "read later than recheck_interval (raise max_requests_per_second or "
            "recheck_interval, or shard)",
            {{"overdue", std::to_string(due - take)},
             {"rechecks", std::to_string(take)},
             {"recheck_interval_seconds",
              std::to_string(
                  std::chrono::duration_cast<std::chrono::seconds>(options_.recheck_interval)
                      .count())}});
      } else {
        log::info("the recheck sweep is within recheck_interval again");
      }
    }
  }
  last_plan_ = now;
  report.skipped = repos.size() - reads.size();
  return reads;
}

CycleReport Poller::run_cycle(const CycleInput& input, std::stop_token stop) {
  const auto steady_start = std::chrono::steady_clock::now();
  const auto now = clock_.now();
  CycleReport report;
  report.repositories = options_.repositories.size();
  if (input.hints != nullptr && input.hints->listed()) {
    note_pushes(*input.hints);
  } else if (input.discovery_listing != nullptr && input.discovery_listing->listed()) {
    note_pushes(*input.discovery_listing);
  }
  const std::vector<Read> reads = plan(input, now, report);
  std::vector<RepositoryRef> repos;
  repos.reserve(reads.size());
  for (const Read& read : reads) {
    repos.push_back(options_.repositories[read.index]);
    ++report.reads[static_cast<std::size_t>(read.reason)];
    ++reads_[static_cast<std::size_t>(read.reason)];
  }
  api_->start_cycle(repos.size());

  // Shortcuts for the repositories read in full recently enough; the rest are read in full.
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

  // The listing's entry as it was before the read: a push during the read shows next cycle.
  auto listed_fingerprint = [&](const RepositoryRef& ref) -> std::string {
    if (input.hints == nullptr) return "";
    const Hint hint = input.hints->lookup(ref);
    return hint.kind == Hint::Kind::kFingerprint ? *hint.fingerprint : "";
  };

  // Each repository's jobs are folded in as soon as they are read and then dropped, so a cycle
  // holds the jobs of `concurrency` repositories at most, not of all of them.
  auto last_progress = now;
  auto fold = [&](std::size_t i, const RepositoryFetch& fetch) {
    RepositoryState& state = states_[repos[i]];
    if (!state.attempted) series_changed_ = true;  // its _up series appears
    state.attempted = true;
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
      state.attempted = true;
      ledger_.forget(repos[i]);
      const auto known_since = memory_[repos[i]].known_since;
      memory_.erase(repos[i]);
      Memory& fresh = memory_[repos[i]];
      fresh.known_since = known_since;
      fresh.last_failed = true;
      series_changed_ = true;
      log::warn("the repository does not exist; dropping its series",
                {{"organization", repos[i].organization},
                 {"repository", repos[i].repository},
                 {"api", "sync_job"},
                 {"err", fetch.failure.message}});
      return;
    }
    Memory& memory = memory_[repos[i]];
    if (!fetch.ok) {
      ++report.failed;
      if (state.up) series_changed_ = true;
      state.up = false;
      memory.last_failed = true;
      log::warn("could not fetch the repository's sync jobs; keeping its last data",
                {{"organization", repos[i].organization},
                 {"repository", repos[i].repository},
                 {"api", "sync_job"},
                 {"err", fetch.failure.message}});
      report.jobs += state.jobs;
      return;
    }
    std::vector<SyncJob> now_pending;
    if (fetch.complete) {
      for (const std::size_t position : ledger_.record(repos[i], fetch.jobs)) {
        if (options_.observe_durations) histogram_.observe(repos[i], fetch.jobs[position]);
        series_changed_ = true;
      }
      for (const SyncJob& job : fetch.jobs) {
        if (is_pending(job.status)) now_pending.push_back(job);
      }
      std::vector<DestinationSummary> destinations = summarize(fetch.jobs);
      if (destinations != state.destinations) {
        series_changed_ = true;
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
        if (options_.observe_durations) histogram_.observe(repos[i], fetch.jobs[position]);
        series_changed_ = true;
      }
      // Nothing new and nothing pending before or now: the figures stand as they are.
      if (!changed.empty() || !memory.pending.empty()) {
        std::vector<DestinationSummary> destinations =
            apply_changes(state.destinations, memory.pending, changed, now_pending);
        if (destinations != state.destinations) {
          series_changed_ = true;
          state.destinations = std::move(destinations);
        }
      }
      state.jobs = *fetch.total;
      memory.arrived = fetch.new_jobs;
      ++report.partial_reads;
    }
    memory.pending = std::move(now_pending);
    if (!state.up || !state.has_data || memory.total != state.jobs) series_changed_ = true;
    memory.total = state.jobs;
    memory.last_read = now;
    memory.fingerprint = listed_fingerprint(repos[i]);
    // Paging that ended early or disagreed with the count is read again next cycle.
    memory.last_failed = !fetch.warnings.empty();
    state.up = true;
    state.has_data = true;
    report.jobs += state.jobs;

    // A long cycle shows what it has read so far: every progress_period in the first pass, a
    // quarter interval after it (each publication re-renders the series: 0.2 s at 10,000
    // repositories).
    if (input.progress) {
      const auto at = clock_.now();
      const auto period =
          initial_pass_complete_
              ? std::max<std::chrono::milliseconds>(options_.progress_period, options_.interval / 4)
              : options_.progress_period;
      if (at - last_progress >= period) {
        last_progress = at;
        input.progress(make_snapshot(at));
      }
    }
  };
  CyclePages pages(repos, options_.page_size, shortcuts, fold);
  api_->list_pages(pages, std::max(1, options_.concurrency), stop);
  if (stop.stop_requested()) {
    report.stopped = true;
    return report;
  }
  // Whatever was not read this cycle, the jobs it had count as they were.
  std::vector<bool> read(options_.repositories.size(), false);
  for (const Read& r : reads) read[r.index] = true;
  for (std::size_t i = 0; i < options_.repositories.size(); ++i) {
    if (!read[i]) report.jobs += states_[options_.repositories[i]].jobs;
  }

  last_skipped_ = report.skipped;
  // Repositories discovered later are read as new ones, but the first pass stays done.
  initial_pass_complete_ =
      initial_pass_complete_ ||
      std::all_of(states_.begin(), states_.end(), [](const auto& s) { return s.second.attempted; });
  report.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - steady_start).count();
  const auto end = clock_.now();
  std::shared_ptr<Snapshot> snapshot = make_snapshot(end);
  snapshot->cycle_done = true;
  snapshot->up = report.failed == 0 && !discovery_failed_;
  snapshot->cycle_duration_seconds = report.seconds;
  snapshot->last_cycle_end = to_unix_seconds(end);
  if (snapshot->up) last_success_end_ = snapshot->last_cycle_end;
  snapshot->last_success_end = last_success_end_;
  snapshot_ = std::move(snapshot);
  return report;
}

void Poller::note_pushes(const ChangeHints& listing) {
  for (auto& [ref, state] : states_) {
    const Hint hint = listing.lookup(ref);
    if (!hint.updated_at_us || hint.updated_at_us == state.last_push_us) continue;
    state.last_push_us = hint.updated_at_us;
    series_changed_ = true;
  }
}

void Poller::set_sync_rules(const RepositoryRef& ref, std::vector<SyncRule> rules) {
  const auto it = states_.find(ref);
  if (it == states_.end()) return;
  if (it->second.sync_rules == rules) return;
  it->second.sync_rules = std::move(rules);
  series_changed_ = true;
}

void Poller::republish() { snapshot_ = make_snapshot(clock_.now()); }

std::shared_ptr<Snapshot> Poller::make_snapshot(std::chrono::system_clock::time_point now) {
  const bool changed = series_changed_ || repositories_changed_;
  if (changed) ++data_version_;
  series_changed_ = false;
  repositories_changed_ = false;
  auto snapshot = std::make_shared<Snapshot>();
  snapshot->data_version = data_version_;
  snapshot->repositories.reserve(states_.size());
  std::optional<std::chrono::system_clock::time_point> oldest;
  for (const auto& [ref, state] : states_) {
    snapshot->repositories.push_back(state);
    const auto m = memory_.find(ref);
    if (m == memory_.end()) continue;
    const auto since = m->second.last_read.value_or(m->second.known_since);
    if (!oldest || since < *oldest) oldest = since;
  }
  // Which series the histogram keeps follows from the repositories' states alone.
  if (changed && options_.observe_durations) histogram_.retain(snapshot->repositories);
  snapshot->duration_labels = histogram_.labels();
  snapshot->duration_buckets = histogram_.buckets();
  if (options_.observe_durations) snapshot->durations = histogram_.series();
  // Carried from the last finished cycle; the caller sets its own when it finishes one.
  if (snapshot_) {
    snapshot->cycle_done = snapshot_->cycle_done;
    snapshot->up = snapshot_->up;
    snapshot->cycle_duration_seconds = snapshot_->cycle_duration_seconds;
    snapshot->last_cycle_end = snapshot_->last_cycle_end;
  }
  snapshot->last_success_end = last_success_end_;
  snapshot->initial_pass_complete = initial_pass_complete_;
  snapshot->reads = reads_;
  snapshot->repositories_skipped = last_skipped_;
  if (oldest) {
    snapshot->oldest_read_age_seconds =
        std::max(0.0, std::chrono::duration<double>(now - *oldest).count());
  }
  return snapshot;
}

}  // namespace swr::collect
