// Pager, ledger, histogram and poll cycle against an in-memory API.
#include <doctest/doctest.h>

#include <algorithm>
#include <functional>
#include <map>
#include <mutex>
#include <random>
#include <set>

#include "collect/duration_histogram.h"
#include "collect/job_ledger.h"
#include "collect/pager.h"
#include "collect/poller.h"
#include "collect/summary.h"
#include "fake_clock.h"
#include "huaweicloud/swr_client.h"

using namespace swr;
using namespace swr::collect;

namespace {

SyncJob job(std::int64_t id, SyncStatus status, std::int64_t created_s = 1000, double seconds = 10,
            std::string region = "cn-east-3", std::string tag = "v1") {
  SyncJob j;
  j.id = id;
  j.created_at_us = (created_s + id) * 1000000;
  j.updated_at_us = j.created_at_us + static_cast<std::int64_t>(seconds * 1e6);
  j.status = status;
  j.target_region = std::move(region);
  j.target_organization = "mirror";
  j.tag = std::move(tag);
  return j;
}

// Jobs newest first, as order::desc lists them; knobs for the lies a server can tell.
class FakeApi final : public SyncJobApi {
 public:
  std::map<RepositoryRef, std::vector<SyncJob>> repos;  // each newest first
  std::optional<std::int64_t> total_override;
  bool total_too_small = false;  // total = offset + count: every page claims to be the last
  bool ignore_offset = false;    // always the first page
  std::function<void(int call)> before_page;  // e.g. insert jobs mid-paging
  std::set<RepositoryRef> failing;
  int calls = 0;
  std::mutex mutex;

  PageResult list_sync_jobs(const RepositoryRef& r, std::int64_t offset, int limit,
                            std::stop_token) override {
    std::lock_guard lock(mutex);
    if (before_page) before_page(calls);
    ++calls;
    if (failing.count(r)) return unexpected(ApiFailure{"HTTP 500", false});
    const auto& all = repos[r];
    if (ignore_offset) offset = 0;
    JobPage page;
    for (std::int64_t i = offset; i < offset + limit && i < static_cast<std::int64_t>(all.size());
         ++i) {
      page.jobs.push_back(all[static_cast<std::size_t>(i)]);
    }
    page.total = total_too_small ? offset + static_cast<std::int64_t>(page.jobs.size())
                                 : total_override.value_or(static_cast<std::int64_t>(all.size()));
    return page;
  }
  void start_cycle(std::size_t) override {}
};

const RepositoryRef kRepo{"team-a", "team/app"};

std::vector<SyncJob> many(int n, SyncStatus status = SyncStatus::kSuccess) {
  std::vector<SyncJob> out;
  for (int id = n; id >= 1; --id) out.push_back(job(id, status));
  return out;
}

std::set<std::int64_t> ids(const std::vector<SyncJob>& jobs) {
  std::set<std::int64_t> out;
  for (const auto& j : jobs) out.insert(j.id);
  return out;
}

}  // namespace

TEST_CASE("the pager reads every job across pages, and no more") {
  FakeApi api;
  api.repos[kRepo] = many(250);
  SUBCASE("honest server") {
    const RepositoryFetch f = fetch_repository(api, kRepo, 100, {});
    REQUIRE(f.ok);
    CHECK(f.jobs.size() == 250);
    CHECK(ids(f.jobs).size() == 250);
    CHECK(f.requests == 3);
    CHECK(f.warnings.empty());
  }
  SUBCASE("pages ask for one more than page_size: an exact multiple costs no empty page") {
    api.repos[kRepo] = many(200);
    const RepositoryFetch f = fetch_repository(api, kRepo, 100, {});
    CHECK(f.jobs.size() == 200);
    CHECK(f.requests == 2);  // 101 + 99
  }
  SUBCASE("a multiple of page_size + 1 ends on an empty page") {
    api.repos[kRepo] = many(202);
    const RepositoryFetch f = fetch_repository(api, kRepo, 100, {});
    CHECK(f.jobs.size() == 202);
    CHECK(f.requests == 3);
  }
  SUBCASE("a total that claims every page is the last skips nothing") {
    api.total_too_small = true;
    const RepositoryFetch f = fetch_repository(api, kRepo, 100, {});
    CHECK(f.jobs.size() == 250);
  }
  SUBCASE("a total far too large does not make it page forever") {
    api.total_override = 1'000'000;
    const RepositoryFetch f = fetch_repository(api, kRepo, 100, {});
    CHECK(f.jobs.size() == 250);
    CHECK(f.requests == 3);
  }
  SUBCASE("a server that ignores the offset is caught on the second page") {
    api.ignore_offset = true;
    const RepositoryFetch f = fetch_repository(api, kRepo, 100, {});
    CHECK(f.ok);
    CHECK(f.jobs.size() == 101);
    CHECK(f.requests == 2);
    CHECK(f.warnings.size() == 2);
  }
  SUBCASE("jobs arriving while paging shift offsets: none missed, none twice") {
    api.before_page = [&](int call) {
      if (call == 1 || call == 2) {
        auto& all = api.repos[kRepo];
        const std::int64_t next = all.front().id + 1;
        for (int k = 0; k < 7; ++k) all.insert(all.begin(), job(next + k, SyncStatus::kWaiting));
      }
    };
    const RepositoryFetch f = fetch_repository(api, kRepo, 100, {});
    REQUIRE(f.ok);
    const auto seen = ids(f.jobs);
    CHECK(seen.size() == f.jobs.size());
    for (std::int64_t id = 1; id <= 250; ++id) CHECK(seen.count(id) == 1);
  }
  SUBCASE("the same id twice keeps the later update") {
    SyncJob older = job(5, SyncStatus::kRunning);
    SyncJob newer = job(5, SyncStatus::kFailed);
    api.repos[kRepo] = {job(6, SyncStatus::kSuccess), older, newer};
    const RepositoryFetch f = fetch_repository(api, kRepo, 100, {});
    REQUIRE(f.jobs.size() == 2);
    CHECK(f.jobs[1].status == SyncStatus::kFailed);
  }
  SUBCASE("a failing page fails the repository") {
    api.failing.insert(kRepo);
    const RepositoryFetch f = fetch_repository(api, kRepo, 100, {});
    CHECK_FALSE(f.ok);
    CHECK(f.failure.message == "HTTP 500");
  }
}

TEST_CASE("the ledger observes each final job exactly once across cycles") {
  JobLedger ledger;
  std::vector<SyncJob> jobs = {job(1, SyncStatus::kSuccess), job(2, SyncStatus::kRunning),
                               job(3, SyncStatus::kFailed), job(4, SyncStatus::kWaiting)};
  CHECK(ledger.record(kRepo, jobs) == std::vector<std::size_t>{0, 2});
  CHECK(ledger.record(kRepo, jobs).empty());
  jobs[1].status = SyncStatus::kTimeout;  // running -> timeout
  CHECK(ledger.record(kRepo, jobs) == std::vector<std::size_t>{1});
  CHECK(ledger.record(kRepo, jobs).empty());
  CHECK(ledger.tracked_jobs() == 3);

  SUBCASE("a job missing from one read is not counted again when it comes back") {
    std::vector<SyncJob> without = {jobs[0], jobs[1], jobs[3]};
    CHECK(ledger.record(kRepo, without).empty());
    CHECK(ledger.record(kRepo, jobs).empty());
  }
  SUBCASE("a job the API stopped listing is forgotten") {
    std::vector<SyncJob> without = {jobs[0], jobs[1], jobs[3]};
    for (int i = 0; i < JobLedger::kForgetAfterMisses; ++i) ledger.record(kRepo, without);
    CHECK(ledger.tracked_jobs() == 2);
  }
  SUBCASE("forgetting a repository") {
    ledger.forget(kRepo);
    CHECK(ledger.tracked_jobs() == 0);
  }
}

TEST_CASE("summaries per destination") {
  std::vector<SyncJob> jobs = {job(1, SyncStatus::kSuccess, 1000, 10),
                               job(2, SyncStatus::kFailed, 1000, 20), job(3, SyncStatus::kRunning),
                               job(4, SyncStatus::kWaiting, 1000, 0, "cn-east-3", "v4"),
                               job(5, SyncStatus::kSuccess, 1000, 5, "ap-southeast-1")};
  jobs.push_back(job(6, SyncStatus::kUnknown, 1000, 5, "ap-southeast-1", "weird"));
  const auto d = summarize(jobs);
  REQUIRE(d.size() == 2);
  CHECK(d[0].target_region == "ap-southeast-1");
  CHECK(d[0].counts[index_of(SyncStatus::kSuccess)] == 1);
  CHECK(d[0].counts[index_of(SyncStatus::kUnknown)] == 1);
  CHECK(d[0].latest_tag == "weird");
  CHECK(d[0].latest_status == SyncStatus::kUnknown);
  CHECK_FALSE(d[0].oldest_pending_created_us);
  const DestinationSummary& east = d[1];
  CHECK(east.counts[index_of(SyncStatus::kSuccess)] == 1);
  CHECK(east.counts[index_of(SyncStatus::kFailed)] == 1);
  CHECK(east.counts[index_of(SyncStatus::kRunning)] == 1);
  CHECK(east.counts[index_of(SyncStatus::kWaiting)] == 1);
  CHECK(east.oldest_pending_created_us == jobs[2].created_at_us);
  CHECK(east.last_finished_us[index_of(SyncStatus::kFailed)] == jobs[1].updated_at_us);
  CHECK(east.last_finished_us[index_of(SyncStatus::kSuccess)] == jobs[0].updated_at_us);
  CHECK_FALSE(east.last_finished_us[index_of(SyncStatus::kTimeout)]);
  CHECK(east.latest_tag == "v4");
  CHECK(east.latest_status == SyncStatus::kWaiting);
}

TEST_CASE("the duration histogram buckets, keeps zero series and drops gone destinations") {
  DurationHistogram h({"organization", "target_region", "status"}, {1, 10, 100});
  h.observe(kRepo, job(1, SyncStatus::kSuccess, 1000, 5));
  h.observe(kRepo, job(2, SyncStatus::kSuccess, 1000, 10));
  h.observe(kRepo, job(3, SyncStatus::kSuccess, 1000, 1000));
  RepositoryState state;
  state.ref = kRepo;
  state.has_data = true;
  state.destinations = summarize({job(1, SyncStatus::kSuccess)});
  h.retain({state});
  const auto series = h.series();
  REQUIRE(series.size() == 5);  // one per final status
  const auto success = std::find_if(series.begin(), series.end(), [](const HistogramSeries& s) {
    return s.label_values == std::vector<std::string>{"team-a", "cn-east-3", "success"};
  });
  REQUIRE(success != series.end());
  CHECK(success->bucket_counts == std::vector<std::uint64_t>{0, 2, 0, 1});
  CHECK(success->count == 3);
  CHECK(success->sum == doctest::Approx(1015));
  state.destinations = summarize({job(1, SyncStatus::kSuccess, 1000, 1, "af-south-1")});
  h.retain({state});
  for (const auto& s : h.series()) CHECK(s.label_values[1] == "af-south-1");
  CHECK(h.series().size() == 5);
}

TEST_CASE("the duration histogram counts each observation in its own series, however they come") {
  // Repositories interleaved and revisited, destinations and statuses mixed, a retain() between:
  // every count must equal a plain tally by the full label set.
  DurationHistogram h({"organization", "repository", "target_region", "status"}, {1, 10, 100});
  const RepositoryRef repos[] = {{"team-a", "app"}, {"team-a", "web"}, {"team-b", "app"}};
  const char* regions[] = {"cn-east-3", "af-south-1", "la-south-2"};
  const SyncStatus statuses[] = {SyncStatus::kSuccess, SyncStatus::kFailed, SyncStatus::kTimeout};
  std::map<std::vector<std::string>, std::uint64_t> tally;
  std::uint64_t state = 7;
  const auto next = [&state](std::uint64_t bound) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (state >> 33) % bound;
  };
  std::vector<RepositoryState> kept;
  for (int i = 0; i < 3000; ++i) {
    const RepositoryRef& repo = repos[i < 1500 ? (i / 7) % 3 : next(3)];
    const SyncJob j = job(i, statuses[next(3)], 1000, 5, regions[next(3)]);
    h.observe(repo, j);
    ++tally[{repo.organization, repo.repository, j.target_region,
             std::string(to_string(j.status))}];
    if (i == 2000) {
      // Keeps every destination of every repository: nothing is erased, the counts stand.
      kept.clear();
      for (const RepositoryRef& r : repos) {
        RepositoryState s;
        s.ref = r;
        s.has_data = true;
        for (const char* region : regions) {
          s.destinations.push_back(summarize({job(1, SyncStatus::kSuccess, 1000, 1, region)})[0]);
        }
        kept.push_back(s);
      }
      h.retain(kept);
    }
  }
  std::uint64_t total = 0;
  for (const HistogramSeries& s : h.series()) {
    const auto it = tally.find(s.label_values);
    CHECK(s.count == (it == tally.end() ? 0 : it->second));
    total += s.count;
  }
  CHECK(total == 3000);
}

TEST_CASE("a poll cycle: failures keep the last good data; histogram counts survive cycles") {
  FakeApi api;
  const RepositoryRef other{"team-b", "app"};
  api.repos[kRepo] = many(30);
  api.repos[other] = many(3, SyncStatus::kFailed);
  SystemClock clock;
  Poller poller({{kRepo, other}, 10, 2, {1, 10, 100}, {"organization", "status"}}, api, clock);
  CycleReport r = poller.run_cycle({});
  CHECK(r.failed == 0);
  CHECK(r.jobs == 33);
  CHECK(r.requests == 3 + 1);  // 11 + 11 + 8, and 3
  auto s = poller.snapshot();
  CHECK(s->up);
  REQUIRE(s->repositories.size() == 2);

  api.failing.insert(other);
  r = poller.run_cycle({});
  CHECK(r.failed == 1);
  s = poller.snapshot();
  CHECK_FALSE(s->up);
  const RepositoryState& b = s->repositories[1];
  CHECK(b.ref == other);
  CHECK_FALSE(b.up);
  CHECK(b.has_data);
  CHECK(b.destinations[0].counts[index_of(SyncStatus::kFailed)] == 3);
  std::uint64_t observed = 0;
  for (const auto& series : s->durations) observed += series.count;
  CHECK(observed == 33);  // nothing counted twice over two cycles
  CHECK(s->last_success_end);
  CHECK(*s->last_success_end < s->last_cycle_end + 1);
}

TEST_CASE("the sync_job URL: `$` for `/`, the filter encoded as it is signed") {
  const auto request = huaweicloud::sync_job_request("https://swr-api.cn-north-4.myhuaweicloud.com",
                                                     kRepo, 200, 100);
  CHECK(request.path == "/v2/manage/namespaces/team-a/repos/team$app/sync_job");
  CHECK(request.target() ==
        "/v2/manage/namespaces/team-a/repos/team%24app/sync_job"
        "?filter=limit%3A%3A100%7Coffset%3A%3A200%7Corder%3A%3Adesc");
  CHECK(request.host() == "swr-api.cn-north-4.myhuaweicloud.com");
  CHECK(huaweicloud::sync_job_filter(0, 5) == "limit::5|offset::0|order::desc");
  CHECK(huaweicloud::repository_path_name("a/b/c") == "a$b$c");
}

namespace {

// Figures compared field by field (DestinationSummary has no ==).
std::string describe(const std::vector<DestinationSummary>& all) {
  std::string out;
  for (const auto& d : all) {
    out += d.target_region + "/" + d.target_organization + ":";
    for (auto n : d.counts) out += " " + std::to_string(n);
    for (const auto& t : d.last_finished_us) out += " " + (t ? std::to_string(*t) : "-");
    out += " oldest=" +
           (d.oldest_pending_created_us ? std::to_string(*d.oldest_pending_created_us) : "-");
    out += " latest=" + std::to_string(d.latest_id) + "/" + d.latest_tag + "/" +
           std::string(to_string(d.latest_status)) + "\n";
  }
  return out;
}

std::uint64_t observed(const Snapshot& s) {
  std::uint64_t n = 0;
  for (const auto& series : s.durations) n += series.count;
  return n;
}

}  // namespace

TEST_CASE(
    "incremental polling: one page in steady state, exact figures, full reads as a safety net") {
  FakeApi api;
  std::vector<SyncJob> jobs = many(250);
  jobs[0].status = SyncStatus::kRunning;  // the newest two are still in flight
  jobs[1].status = SyncStatus::kWaiting;
  api.repos[kRepo] = jobs;
  test::FakeClock clock;
  Poller poller({{kRepo}, 100, 1, {1, 10, 100}, {"status"}, std::chrono::hours(1)}, api, clock);
  CHECK(poller.run_cycle({}).requests == 3);
  CHECK(observed(*poller.snapshot()) == 248);

  SUBCASE("nothing changed: one request, same figures") {
    const std::string before = describe(poller.snapshot()->repositories[0].destinations);
    const std::uint64_t version = poller.snapshot()->data_version;
    CHECK(version > 0);
    const CycleReport r = poller.run_cycle({});
    CHECK(poller.snapshot()->data_version == version);  // the exposition is not rendered again
    CHECK(r.requests == 1);
    CHECK(r.partial_reads == 1);
    CHECK(r.jobs == 250);
    CHECK(describe(poller.snapshot()->repositories[0].destinations) == before);
    CHECK(observed(*poller.snapshot()) == 248);
  }
  SUBCASE("a pending job ends and new jobs arrive: figures as a full read gives") {
    auto& live = api.repos[kRepo];
    live[0].status = SyncStatus::kFailed;
    live[0].updated_at_us += 5'000'000;
    for (int k = 0; k < 5; ++k)
      live.insert(live.begin(), job(300 + k, k < 3 ? SyncStatus::kSuccess : SyncStatus::kWaiting));
    const std::uint64_t version = poller.snapshot()->data_version;
    CycleReport r = poller.run_cycle({});
    CHECK(poller.snapshot()->data_version > version);
    // The first page had room for the 2 pending jobs and 4 new ones: the 5 new took a second.
    CHECK(r.requests == 2);
    CHECK(r.partial_reads == 1);
    CHECK(r.jobs == 255);
    CHECK(describe(poller.snapshot()->repositories[0].destinations) == describe(summarize(live)));
    CHECK(observed(*poller.snapshot()) == 248 + 1 + 3);

    // The next first page makes room for as many new jobs as arrived last time.
    for (int k = 0; k < 5; ++k) live.insert(live.begin(), job(400 + k, SyncStatus::kSuccess));
    r = poller.run_cycle({});
    CHECK(r.requests == 1);
    CHECK(r.partial_reads == 1);
    CHECK(r.jobs == 260);
    CHECK(describe(poller.snapshot()->repositories[0].destinations) == describe(summarize(live)));
    CHECK(observed(*poller.snapshot()) == 248 + 1 + 3 + 5);
  }
  SUBCASE("the API dropped an old job: the total does not add up, so it reads to the end") {
    api.repos[kRepo].pop_back();
    const CycleReport r = poller.run_cycle({});
    CHECK(r.requests == 4);  // a small first page (2 pending + 4), then 101, 101 and 41
    CHECK(r.partial_reads == 0);
    CHECK(r.jobs == 249);
    CHECK(describe(poller.snapshot()->repositories[0].destinations) ==
          describe(summarize(api.repos[kRepo])));
  }
  SUBCASE("after full_resync_interval every repository is read in full again") {
    clock.advance(std::chrono::hours(1));
    CHECK(poller.run_cycle({}).requests == 3);
    CHECK(poller.run_cycle({}).requests == 1);
  }
}

TEST_CASE("incremental polling pages down to a job that was still pending deep down") {
  FakeApi api;
  api.repos[kRepo] = many(250);
  api.repos[kRepo][180].status = SyncStatus::kRunning;
  test::FakeClock clock;
  Poller poller({{kRepo}, 100, 1, {1, 10, 100}, {"status"}, std::chrono::hours(1)}, api, clock);
  CHECK(poller.run_cycle({}).requests == 3);
  // Down to the page holding it (5 + 101 + 101 jobs), not further.
  CHECK(poller.run_cycle({}).requests == 3);
  api.repos[kRepo][180].status = SyncStatus::kSuccess;
  const CycleReport r = poller.run_cycle({});
  CHECK(r.requests == 3);
  CHECK(describe(poller.snapshot()->repositories[0].destinations) ==
        describe(summarize(api.repos[kRepo])));
  CHECK(observed(*poller.snapshot()) == 250);
  CHECK(poller.run_cycle({}).requests == 1);  // nothing pending any more
}

TEST_CASE("incremental polling under random churn matches a full read every cycle") {
  std::mt19937_64 rng(20261127);
  FakeApi api;
  std::vector<SyncJob> jobs = many(230);
  api.repos[kRepo] = jobs;
  test::FakeClock clock;
  Poller incremental({{kRepo}, 50, 1, {1, 10}, {"status"}, std::chrono::hours(24)}, api, clock);
  std::set<std::int64_t> finals_ever;
  std::int64_t next_id = 1000;
  for (int round = 0; round < 60; ++round) {
    auto& live = api.repos[kRepo];
    // Pending jobs move on, new ones arrive, and now and then the oldest are dropped.
    for (auto& j : live) {
      if (j.status == SyncStatus::kWaiting && rng() % 2) {
        j.status = SyncStatus::kRunning;
      } else if (j.status == SyncStatus::kRunning && rng() % 2) {
        j.status = rng() % 4 ? SyncStatus::kSuccess : SyncStatus::kTimeout;
        j.updated_at_us += 1'000'000;
      }
    }
    const int arrivals = static_cast<int>(rng() % 8);
    for (int k = 0; k < arrivals; ++k) {
      live.insert(live.begin(), job(next_id++, SyncStatus::kWaiting, 5000, 0,
                                    rng() % 2 ? "cn-east-3" : "ap-southeast-1"));
    }
    if (rng() % 5 == 0) live.resize(live.size() - std::min<std::size_t>(live.size(), rng() % 4));
    for (const auto& j : live) {
      if (is_final(j.status)) finals_ever.insert(j.id);
    }
    CAPTURE(round);
    const CycleReport r = incremental.run_cycle({});
    REQUIRE(r.failed == 0);
    CHECK(describe(incremental.snapshot()->repositories[0].destinations) ==
          describe(summarize(live)));
    CHECK(r.jobs == static_cast<std::int64_t>(live.size()));
    CHECK(observed(*incremental.snapshot()) == finals_ever.size());
  }
}

TEST_CASE("updatedAt before createdAt counts as a duration of 0, observed once") {
  SyncJob skewed = job(1, SyncStatus::kSuccess);
  skewed.updated_at_us = skewed.created_at_us - 5'000'000;
  CHECK(skewed.duration_seconds() == 0);
  DurationHistogram h({"status"}, {1, 10});
  h.observe(kRepo, skewed);
  RepositoryState state;
  state.ref = kRepo;
  state.has_data = true;
  state.destinations = summarize({skewed});
  h.retain({state});
  for (const auto& s : h.series()) {
    if (s.label_values[0] == "success") {
      CHECK(s.count == 1);
      CHECK(s.sum == 0);
      CHECK(s.bucket_counts[0] == 1);
    }
  }
}
