// Change-driven polling: which repositories a cycle reads (listing hints, pending jobs, failed
// reads, the recheck sweep, the request budget), on a fake clock against an in-memory API.
#include <doctest/doctest.h>

#include <map>
#include <mutex>
#include <random>
#include <set>

#include "collect/change_hints.h"
#include "collect/poller.h"
#include "collect/summary.h"
#include "fake_clock.h"

using namespace swr;
using namespace swr::collect;

namespace {

SyncJob sync_job(std::int64_t id, SyncStatus status) {
  SyncJob j;
  j.id = id;
  j.created_at_us = (1000 + id) * 1'000'000;
  j.updated_at_us = j.created_at_us + 10'000'000;
  j.status = status;
  j.target_region = "cn-east-3";
  j.target_organization = "mirror";
  j.tag = "v" + std::to_string(id);
  return j;
}

// A small SWR: each repository's jobs (newest first) and its listing entry, which a push moves
// and a manual sync does not. Counts the pages each repository was asked for.
class World final : public SyncJobApi {
 public:
  struct Repo {
    std::vector<SyncJob> jobs;
    int pushes = 0;
  };
  std::map<RepositoryRef, Repo> repos;
  std::map<RepositoryRef, int> pages;
  std::set<RepositoryRef> failing;
  std::int64_t next_id = 1;
  std::function<void()> on_page;

  PageResult list_sync_jobs(const RepositoryRef& r, std::int64_t offset, int limit,
                            std::stop_token) override {
    if (on_page) on_page();
    ++pages[r];
    if (failing.count(r)) return unexpected(ApiFailure{"HTTP 500", false});
    const auto& all = repos[r].jobs;
    JobPage page;
    for (auto i = offset; i < offset + limit && i < static_cast<std::int64_t>(all.size()); ++i) {
      page.jobs.push_back(all[static_cast<std::size_t>(i)]);
    }
    page.total = static_cast<std::int64_t>(all.size());
    return page;
  }
  void start_cycle(std::size_t) override {}

  void push(const RepositoryRef& r, SyncStatus status = SyncStatus::kSuccess) {
    ++repos[r].pushes;
    manual_sync(r, status);
  }
  void manual_sync(const RepositoryRef& r, SyncStatus status = SyncStatus::kSuccess) {
    auto& jobs = repos[r].jobs;
    jobs.insert(jobs.begin(), sync_job(next_id++, status));
  }
  ChangeHints hints() const {
    Listings listings;
    for (const auto& [ref, repo] : repos) {
      OrganizationListing& org = listings[ref.organization];  // a listing that worked
      (*org)[ref.repository] = {ref.repository,
                                "2026-01-01T00:00:00Z|" + std::to_string(repo.pushes), "",
                                std::int64_t{1'767'225'600'000'000} + repo.pushes * 1'000'000};
    }
    return ChangeHints(std::move(listings));
  }
  int total_pages() const {
    int n = 0;
    for (const auto& [ref, count] : pages) n += count;
    return n;
  }
};

std::vector<RepositoryRef> refs(int n) {
  std::vector<RepositoryRef> out;
  for (int i = 0; i < n; ++i) {
    out.push_back({"team-" + std::to_string(i % 3), "app-" + std::to_string(i)});
  }
  return out;
}

PollOptions hinted(std::vector<RepositoryRef> repositories, std::chrono::minutes recheck,
                   double rate = 1000) {
  PollOptions o{std::move(repositories), 100, 2, {1, 10, 100}, {"status"}};
  o.recheck_interval = recheck;
  o.interval = std::chrono::minutes(1);
  o.max_requests_per_second = rate;
  return o;
}

CycleReport cycle(Poller& poller, World& world, test::FakeClock& clock,
                  std::chrono::seconds step = std::chrono::seconds(60)) {
  const ChangeHints hints = world.hints();
  CycleInput input;
  input.hints = &hints;
  const CycleReport report = poller.run_cycle(input, {});
  clock.advance(step);
  return report;
}

std::size_t reads(const CycleReport& r, ReadReason reason) {
  return r.reads[static_cast<std::size_t>(reason)];
}

std::uint64_t observed(const Snapshot& s) {
  std::uint64_t n = 0;
  for (const auto& series : s.durations) n += series.count;
  return n;
}

}  // namespace

TEST_CASE(
    "change hints: quiet repositories are skipped; a push, pending jobs, a failure are read") {
  World world;
  const auto all = refs(6);
  for (const auto& r : all) world.push(r);
  test::FakeClock clock;
  // A recheck interval long enough that the sweep reads nothing in this test.
  Poller poller(hinted(all, std::chrono::minutes(600)), world, clock);

  CycleReport r = cycle(poller, world, clock);
  CHECK(reads(r, ReadReason::kNew) == 6);
  CHECK(poller.snapshot()->initial_pass_complete);

  r = cycle(poller, world, clock);
  CHECK(r.skipped == 6);
  CHECK(world.total_pages() == 6);  // nothing read twice

  world.push(all[1], SyncStatus::kFailed);
  world.push(all[2], SyncStatus::kWaiting);
  r = cycle(poller, world, clock);
  CHECK(reads(r, ReadReason::kChanged) == 2);
  CHECK(r.skipped == 4);
  const auto& states = poller.snapshot()->repositories;
  const auto repo1 = std::find_if(states.begin(), states.end(),
                                  [&](const RepositoryState& s) { return s.ref == all[1]; });
  REQUIRE(repo1 != states.end());
  CHECK(repo1->destinations[0].latest_status == SyncStatus::kFailed);

  // all[2] has a waiting job: read every cycle until it ends, without a push.
  r = cycle(poller, world, clock);
  CHECK(reads(r, ReadReason::kPending) == 1);
  world.repos[all[2]].jobs[0].status = SyncStatus::kSuccess;
  r = cycle(poller, world, clock);
  CHECK(reads(r, ReadReason::kPending) == 1);
  r = cycle(poller, world, clock);
  CHECK(r.skipped == 6);

  // A failed read is read again next cycle, and keeps its data meanwhile.
  world.failing.insert(all[3]);
  world.push(all[3]);
  r = cycle(poller, world, clock);
  CHECK(r.failed == 1);
  r = cycle(poller, world, clock);
  CHECK(reads(r, ReadReason::kRetry) == 1);
  world.failing.clear();
  r = cycle(poller, world, clock);
  CHECK(reads(r, ReadReason::kRetry) == 1);
  CHECK(r.failed == 0);
  r = cycle(poller, world, clock);
  CHECK(r.skipped == 6);
  const auto s = poller.snapshot();
  CHECK(s->repositories_skipped == 6);
  CHECK(s->reads[static_cast<std::size_t>(ReadReason::kNew)] == 6);
  CHECK(s->reads[static_cast<std::size_t>(ReadReason::kChanged)] == 3);
  CHECK(observed(*s) == 9);  // 6 + 3 pushes ended, each once (the waiting one ended later)
}

TEST_CASE("a listing that fails, lies or is malformed falls back to reading") {
  World world;
  const auto all = refs(3);
  for (const auto& r : all) world.push(r);
  test::FakeClock clock;
  Poller poller(hinted(all, std::chrono::minutes(15)), world, clock);
  cycle(poller, world, clock);

  CycleInput input;
  SUBCASE("the organization's listing failed: its repositories are read, the others skipped") {
    Listings listings = world.hints().listings();
    listings[all[0].organization] = unexpected(std::string("repos team-0: HTTP 500"));
    const ChangeHints hints(std::move(listings));
    input.hints = &hints;
    const CycleReport r = poller.run_cycle(input, {});
    CHECK(reads(r, ReadReason::kFallback) == 1);
    CHECK(r.skipped == 2);
  }
  SUBCASE("an entry with a malformed field is read every cycle") {
    Listings listings = world.hints().listings();
    auto& entry = listings[all[1].organization].value()[all[1].repository];
    entry.fingerprint.clear();
    entry.problem = "`updated_at` \"yesterday\" is not a timestamp";
    const ChangeHints hints(std::move(listings));
    input.hints = &hints;
    for (int k = 0; k < 3; ++k)
      CHECK(reads(poller.run_cycle(input, {}), ReadReason::kFallback) == 1);
  }
  SUBCASE("a repository the listing no longer has is read (deleted, or the listing lies)") {
    Listings listings = world.hints().listings();
    listings[all[2].organization]->erase(all[2].repository);
    const ChangeHints hints(std::move(listings));
    input.hints = &hints;
    CHECK(reads(poller.run_cycle(input, {}), ReadReason::kChanged) == 1);
  }
  SUBCASE("no listing at all this cycle: every repository") {
    const ChangeHints none;
    input.hints = &none;
    CHECK(reads(poller.run_cycle(input, {}), ReadReason::kFallback) == 3);
  }
}

TEST_CASE("the recheck sweep: oldest first, spread over the interval, manual syncs caught") {
  World world;
  const auto all = refs(40);
  for (const auto& r : all) world.push(r);
  test::FakeClock clock;
  Poller poller(hinted(all, std::chrono::minutes(10)), world, clock);
  cycle(poller, world, clock);  // the first pass

  // A manual sync moves no listing entry: only the sweep finds it.
  world.manual_sync(all[17], SyncStatus::kFailed);
  std::map<RepositoryRef, int> before = world.pages;
  std::vector<std::size_t> per_cycle;
  int caught_after = -1;
  for (int c = 1; c <= 20; ++c) {
    const CycleReport r = cycle(poller, world, clock);
    per_cycle.push_back(reads(r, ReadReason::kRecheck));
    const auto& repo = poller.snapshot()->repositories;
    const auto it = std::find_if(repo.begin(), repo.end(),
                                 [&](const RepositoryState& s) { return s.ref == all[17]; });
    if (caught_after < 0 && it->destinations[0].latest_status == SyncStatus::kFailed) {
      caught_after = c;
    }
    CHECK(poller.snapshot()->oldest_read_age_seconds <= 11 * 60.0);
  }
  // 40 repositories over 10 one-minute cycles: 4 a cycle, never a burst.
  for (const std::size_t n : per_cycle) {
    CHECK(n >= 3);
    CHECK(n <= 5);
  }
  // Every repository read exactly twice in 20 cycles (two sweeps).
  for (const auto& r : all) CHECK(world.pages[r] - before[r] == 2);
  CHECK(caught_after >= 1);
  CHECK(caught_after <= 11);  // within recheck_interval + interval
}

TEST_CASE("the request budget: a large first pass spans cycles and a push never waits for it") {
  World world;
  const auto all = refs(300);
  for (const auto& r : all) world.push(r);
  test::FakeClock clock;
  // 1 request/s over a 60 s interval: 54 requests a cycle.
  Poller poller(hinted(all, std::chrono::minutes(600), 1), world, clock);
  CycleReport r = cycle(poller, world, clock);
  CHECK(reads(r, ReadReason::kNew) == 54);
  CHECK_FALSE(poller.snapshot()->initial_pass_complete);
  // Only the repositories read so far have series; the rest are not "down".
  std::size_t attempted = 0;
  for (const auto& s : poller.snapshot()->repositories) attempted += s.attempted ? 1 : 0;
  CHECK(attempted == 54);

  world.push(all[3], SyncStatus::kFailed);  // read in the first cycle
  r = cycle(poller, world, clock);
  CHECK(reads(r, ReadReason::kChanged) == 1);
  CHECK(reads(r, ReadReason::kNew) == 53);
  int cycles = 2;
  while (!poller.snapshot()->initial_pass_complete && cycles < 20) {
    cycle(poller, world, clock);
    ++cycles;
  }
  CHECK(cycles == 6);  // 300 / 54, rounded up
  CHECK(observed(*poller.snapshot()) == 301);
}

TEST_CASE("a long cycle publishes what it has read so far") {
  World world;
  const auto all = refs(30);
  for (const auto& r : all) world.push(r);
  test::FakeClock clock;
  world.on_page = [&] { clock.advance(std::chrono::seconds(1)); };  // one page a second
  Poller poller(hinted(all, std::chrono::minutes(15)), world, clock);
  const ChangeHints hints = world.hints();
  CycleInput input;
  input.hints = &hints;
  std::vector<std::size_t> read_so_far;
  input.progress = [&](std::shared_ptr<const Snapshot> s) {
    std::size_t n = 0;
    for (const auto& repo : s->repositories) n += repo.has_data ? 1 : 0;
    read_so_far.push_back(n);
    CHECK_FALSE(s->initial_pass_complete);
    CHECK_FALSE(s->cycle_done);
  };
  poller.run_cycle(input, {});
  // 30 pages, 30 s: a partial snapshot every 5 s, each with more repositories than the last.
  CHECK(read_so_far.size() >= 5);
  CHECK(std::is_sorted(read_so_far.begin(), read_so_far.end()));
  CHECK(read_so_far.front() > 0);
  CHECK(read_so_far.front() < 30);
  CHECK(poller.snapshot()->initial_pass_complete);
}

TEST_CASE("exactly once under pushes, manual syncs and status changes, with hints") {
  std::mt19937_64 rng(20261202);
  World world;
  const auto all = refs(12);
  for (const auto& r : all) world.push(r);
  test::FakeClock clock;
  Poller poller(hinted(all, std::chrono::minutes(5)), world, clock);
  std::set<std::int64_t> finals_ever;
  for (int round = 0; round < 80; ++round) {
    for (auto& [ref, repo] : world.repos) {
      for (auto& j : repo.jobs) {
        if (j.status == SyncStatus::kWaiting && rng() % 2) {
          j.status = SyncStatus::kRunning;
        } else if (j.status == SyncStatus::kRunning && rng() % 2) {
          j.status = rng() % 3 ? SyncStatus::kSuccess : SyncStatus::kFailed;
          j.updated_at_us += 1'000'000;
        }
      }
    }
    const auto& r = all[rng() % all.size()];
    switch (rng() % 4) {
      case 0:
        world.push(r, SyncStatus::kWaiting);
        break;
      case 1:
        world.push(r, SyncStatus::kTimeout);
        break;
      case 2:
        world.manual_sync(r, SyncStatus::kWaiting);
        break;
      default:
        break;
    }
    for (const auto& [ref, repo] : world.repos) {
      for (const auto& j : repo.jobs) {
        if (is_final(j.status)) finals_ever.insert(j.id);
      }
    }
    cycle(poller, world, clock);
  }
  // Once a full sweep has passed with nothing new, every figure is exact.
  for (int k = 0; k < 6; ++k) cycle(poller, world, clock);
  const auto s = poller.snapshot();
  for (const auto& state : s->repositories) {
    CAPTURE(state.ref.repository);
    CHECK(state.destinations == summarize(world.repos[state.ref].jobs));
  }
  std::set<std::int64_t> finals_now;
  for (const auto& [ref, repo] : world.repos) {
    for (const auto& j : repo.jobs) {
      if (is_final(j.status)) finals_now.insert(j.id);
    }
  }
  CHECK(finals_now == finals_ever);  // the world drops no job here
  CHECK(observed(*s) == finals_ever.size());
}

TEST_CASE("a reload that changes recheck_interval applies from the next cycle, ledger kept") {
  World world;
  const auto all = refs(5);
  for (const auto& r : all) world.push(r);
  test::FakeClock clock;
  PollOptions options = hinted(all, std::chrono::minutes(600));
  Poller poller(options, world, clock);
  cycle(poller, world, clock);
  CHECK(cycle(poller, world, clock).skipped == 5);
  options.recheck_interval = std::chrono::milliseconds{0};  // "0s": every repository, every cycle
  REQUIRE(poller.can_take(options));
  poller.reconfigure(options, world);
  CycleReport r = poller.run_cycle({});
  CHECK(reads(r, ReadReason::kRecheck) == 5);
  CHECK(r.skipped == 0);
  options.recheck_interval = std::chrono::minutes(600);
  poller.reconfigure(options, world);
  CHECK(cycle(poller, world, clock).skipped == 0);  // read without a listing: no hint to match
  CHECK(cycle(poller, world, clock).skipped == 5);
  CHECK(observed(*poller.snapshot()) == 5);  // nothing observed twice across the reloads
}

TEST_CASE("a duration histogram nobody is served is not computed") {
  World world;
  const auto all = refs(4);
  for (const auto& r : all) world.push(r, SyncStatus::kFailed);
  test::FakeClock clock;
  PollOptions options = hinted(all, std::chrono::minutes(600));
  options.observe_durations = false;
  Poller poller(options, world, clock);
  cycle(poller, world, clock);
  CHECK(poller.snapshot()->durations.empty());
  CHECK(poller.snapshot()->repositories.size() == 4);  // the rest as ever
  // Turning it back on is a new histogram (a reload builds a new poller, like a restart).
  PollOptions on = options;
  on.observe_durations = true;
  CHECK_FALSE(poller.can_take(on));
}
