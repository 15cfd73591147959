// src/app on the fake clock: the poll loop's cadence (cycles, discovery, a first pass cut by the
// budget), reloads (good, bad, ledger kept or reset) and --once's exit codes, against an
// in-memory SWR.
#include <doctest/doctest.h>

#include <map>
#include <set>
#include <sstream>

#include "app/live_metrics.h"
#include "app/pipeline.h"
#include "app/poll_loop.h"
#include "app/reloader.h"
#include "fake_clock.h"
#include "log_capture.h"
#include "metrics/exposition.h"

using namespace swr;
using namespace swr::app;
using namespace std::chrono_literals;

namespace {

// One organization's repositories, each with one finished job; every call takes a second of the
// clock, so a cycle has a length.
class Cloud final : public SyncJobApi, public DiscoveryApi {
 public:
  explicit Cloud(test::FakeClock& clock) : clock_(clock) {}
  std::map<RepositoryRef, std::vector<SyncJob>> repos;
  std::set<RepositoryRef> failing;
  bool listing_fails = false;
  int listings = 0;
  int pages = 0;
  int rule_reads = 0;

  void add(const std::string& organization, const std::string& repository) {
    SyncJob job;
    job.id = static_cast<std::int64_t>(repos.size()) + 1;
    job.created_at_us = 1'700'000'000'000'000 + job.id * 1'000'000;
    job.updated_at_us = job.created_at_us + 30'000'000;
    job.status = SyncStatus::kSuccess;
    job.target_region = "cn-east-3";
    job.target_organization = "mirror";
    job.tag = "v1";
    repos[{organization, repository}] = {job};
  }

  PageResult list_sync_jobs(const RepositoryRef& ref, std::int64_t offset, int limit,
                            std::stop_token) override {
    clock_.advance(1s);
    ++pages;
    if (failing.count(ref))
      return unexpected(ApiFailure{"sync_job " + ref.repository + ": HTTP 500"});
    JobPage page;
    const auto& all = repos[ref];
    for (auto i = offset; i < offset + limit && i < static_cast<std::int64_t>(all.size()); ++i) {
      page.jobs.push_back(all[static_cast<std::size_t>(i)]);
    }
    page.total = static_cast<std::int64_t>(all.size());
    return page;
  }
  void start_cycle(std::size_t) override {}

  NamesResult list_organizations(std::stop_token) override {
    std::set<std::string> names;
    for (const auto& [ref, jobs] : repos) names.insert(ref.organization);
    return std::vector<std::string>(names.begin(), names.end());
  }
  ListingResult list_repositories(const std::string& organization, std::stop_token) override {
    clock_.advance(1s);
    ++listings;
    if (listing_fails) return {unexpected(ApiFailure{"repos " + organization + ": HTTP 500"}), 1};
    std::vector<RepositoryListing> entries;
    for (const auto& [ref, jobs] : repos) {
      if (ref.organization != organization) continue;
      entries.push_back({ref.repository, "2026-01-01T00:00:00Z|1|" + ref.repository, "",
                         std::int64_t{1'767'225'600'000'000}});
    }
    return {std::move(entries), 1};
  }
  SyncRulesResult list_sync_rules(const RepositoryRef&, std::stop_token) override {
    ++rule_reads;
    return std::vector<SyncRule>{{"cn-east-3", "mirror", true, false}};
  }

 private:
  test::FakeClock& clock_;
};

class CloudConnection final : public ApiConnection {
 public:
  explicit CloudConnection(Cloud& cloud) : cloud_(cloud) {}
  SyncJobApi& jobs() override { return cloud_; }
  DiscoveryApi& discovery() override { return cloud_; }

 private:
  Cloud& cloud_;
};

config::Config base_config() {
  config::Config c;
  c.scrape.interval = 60s;
  c.scrape.recheck_interval = 0ms;  // every repository every cycle: no listing for hints
  c.scrape.max_requests_per_second = 1000;
  c.discovery.interval = 10min;
  c.targets = {{"team-a", {}}};  // discovered
  return c;
}

// The exporter's parts over `cloud`, as main() puts them together.
struct Exporter {
  test::FakeClock& clock;
  Cloud& cloud;
  bool once = false;
  int pipelines_built = 0;
  LiveMetrics live{"1.2.3", "abc", clock};
  metrics::ExpositionCache cache{[this] { return live.collect(); }};
  std::unique_ptr<PollLoop> loop;

  Exporter(test::FakeClock& c, Cloud& api, const config::Config& config, bool run_once = false)
      : clock(c), cloud(api), once(run_once) {
    loop = std::make_unique<PollLoop>(
        config,
        [this](const config::Config& next, std::unique_ptr<Pipeline> old) {
          ++pipelines_built;
          return assemble_pipeline(next, std::make_unique<CloudConnection>(cloud),
                                   std::make_shared<huaweicloud::RateLimiter>(
                                       next.scrape.max_requests_per_second, clock),
                                   clock, std::move(old), once);
        },
        cache, live, clock, once);
  }
  std::string live_text() const { return metrics::render_text(live.collect()); }
};

// Runs the loop until its `cycles`-th wait between cycles; calls `between(n)` at the n-th wait.
std::vector<std::chrono::milliseconds> run_cycles(
    Exporter& exporter, Reloader& reloader, std::size_t cycles,
    const std::function<void(std::size_t)>& between = {}) {
  std::vector<std::chrono::milliseconds> waits;
  std::stop_source stop;
  exporter.clock.on_sleep = [&](std::chrono::milliseconds d) {
    waits.push_back(d);
    if (between) between(waits.size());
    if (waits.size() == cycles) stop.request_stop();
  };
  exporter.loop->run(reloader, stop.get_token());
  exporter.clock.on_sleep = nullptr;
  return waits;
}

std::uint64_t observed_jobs(const collect::Snapshot& snapshot) {
  std::uint64_t n = 0;
  for (const auto& series : snapshot.durations) n += series.count;
  return n;
}

Reloader::Source fixed(const Result<config::Config>* next) {
  return [next] { return *next; };
}

}  // namespace

TEST_CASE("the poll loop: one cycle per scrape interval, discovery at its own cadence") {
  test::LogCapture logs;
  test::FakeClock clock;
  Cloud cloud(clock);
  cloud.add("team-a", "app1");
  cloud.add("team-a", "app2");
  Exporter exporter(clock, cloud, base_config());
  Result<config::Config> next = base_config();
  Reloader reloader(fixed(&next), exporter.live, "config.toml");
  CHECK_FALSE(exporter.loop->ready());

  const auto waits = run_cycles(exporter, reloader, 21);
  CHECK(exporter.loop->ready());
  REQUIRE(waits.size() == 21);
  // A cycle reads two pages (2 s); on discovery cycles the listing takes a third second. Each
  // wait ends one interval after its cycle started.
  for (std::size_t i = 0; i < waits.size(); ++i) {
    CAPTURE(i);
    CHECK(waits[i] == (i % 10 == 0 ? 57s : 58s));
  }
  // Discovery on the first cycle, then every ten minutes of the clock: cycles 0, 10 and 20.
  CHECK(cloud.listings == 3);
  CHECK(cloud.pages == 42);
  // The auto-sync rules are read again at the discovery cadence, not every cycle, spread over
  // the cycles (one repository a cycle here): both at first, app1 at 10 and 20, app2 at 11.
  CHECK(cloud.rule_reads == 2 + 1 + 1 + 1);
  CHECK(exporter.loop->pipeline().poller->snapshot()->up);
  CHECK(exporter.pipelines_built == 1);
}

TEST_CASE("the poll loop: a first pass the budget cuts into cycles goes on without waiting") {
  test::LogCapture logs;
  test::FakeClock clock;
  Cloud cloud(clock);
  for (int i = 0; i < 30; ++i) cloud.add("team-a", "app" + std::to_string(i));
  config::Config config = base_config();
  config.scrape.interval = 10s;
  config.scrape.recheck_interval = 15min;
  config.scrape.max_requests_per_second = 1;  // 9 requests a cycle of 10 s
  Exporter exporter(clock, cloud, config);
  Reloader reloader(fixed(nullptr), exporter.live, "config.toml");

  std::vector<bool> complete_at_wait;
  const auto waits = run_cycles(exporter, reloader, 2, [&](std::size_t) {
    complete_at_wait.push_back(exporter.loop->pipeline().poller->snapshot()->initial_pass_complete);
  });
  // No wait until every repository was read once; the first wait comes after that cycle.
  REQUIRE(complete_at_wait.size() == 2);
  CHECK(complete_at_wait[0]);
  CHECK(cloud.pages >= 30);
  CHECK(exporter.loop->ready());
}

TEST_CASE("reload: a good configuration applies from the next cycle; the ledger is kept") {
  test::LogCapture logs;
  test::FakeClock clock;
  Cloud cloud(clock);
  cloud.add("team-a", "app1");
  cloud.add("team-a", "app2");
  Exporter exporter(clock, cloud, base_config());
  config::Config faster = base_config();
  faster.scrape.interval = 30s;
  Result<config::Config> next = faster;
  Reloader reloader(fixed(&next), exporter.live, "config.toml");

  const collect::Poller* first_poller = exporter.loop->pipeline().poller.get();
  Result<void> answer = unexpected(std::string("not called"));
  const auto waits = run_cycles(exporter, reloader, 3, [&](std::size_t n) {
    if (n == 1) answer = reloader.reload();
  });
  CHECK(answer);
  CHECK(logs.text().find("configuration reloaded; it applies from the next cycle") !=
        std::string::npos);
  // The reload cut the first wait short; the next cycles are 30 s apart, the first of them with
  // a discovery (a new configuration may name other repositories).
  REQUIRE(waits.size() == 3);
  CHECK(waits[1] == 27s);
  CHECK(waits[2] == 28s);
  CHECK(exporter.pipelines_built == 2);
  CHECK(exporter.loop->pipeline().config.scrape.interval == 30s);
  // The same histogram: the poller and its ledger carry over, no job is counted twice.
  CHECK(exporter.loop->pipeline().poller.get() == first_poller);
  CHECK(exporter.loop->pipeline().poller->tracked_jobs() == 2);
  CHECK(observed_jobs(*exporter.loop->pipeline().poller->snapshot()) == 2);
  const std::string live = exporter.live_text();
  CHECK(live.find("swr_exporter_config_last_reload_successful 1\n") != std::string::npos);
  CHECK(live.find("swr_exporter_poll_interval_seconds 30\n") != std::string::npos);
}

TEST_CASE("reload: new histogram buckets start a new ledger; a bad configuration is refused") {
  test::LogCapture logs;
  test::FakeClock clock;
  Cloud cloud(clock);
  cloud.add("team-a", "app1");
  Exporter exporter(clock, cloud, base_config());
  Result<config::Config> next = unexpected(std::string("config.toml:3:1: no good"));
  Reloader reloader(fixed(&next), exporter.live, "config.toml");
  const collect::Poller* first_poller = exporter.loop->pipeline().poller.get();

  SUBCASE("refused: the old configuration keeps running, the metric says so") {
    Result<void> answer;
    run_cycles(exporter, reloader, 2, [&](std::size_t n) {
      if (n == 1) answer = reloader.reload();
    });
    REQUIRE_FALSE(answer);
    CHECK(answer.error() == "config.toml:3:1: no good");
    CHECK(logs.text().find("msg=\"configuration not reloaded; the old one keeps running\" "
                           "err=\"config.toml:3:1: no good\"") != std::string::npos);
    CHECK(exporter.pipelines_built == 1);
    CHECK(exporter.loop->pipeline().poller.get() == first_poller);
    CHECK(exporter.live_text().find("swr_exporter_config_last_reload_successful 0\n") !=
          std::string::npos);
    // The next good one is taken, and its time is the clock's.
    next = base_config();
    CHECK(reloader.reload());
    const std::string live = exporter.live_text();
    CHECK(live.find("swr_exporter_config_last_reload_successful 1\n") != std::string::npos);
    const std::string stamp = "swr_exporter_config_last_reload_success_timestamp_seconds " +
                              std::to_string(clock.seconds());
    CHECK(live.find(stamp) != std::string::npos);
  }
  SUBCASE("other buckets: a new poller, its ledger counts each job once from the start") {
    config::Config other = base_config();
    other.metrics.duration_buckets = {1, 10, 100};
    next = other;
    run_cycles(exporter, reloader, 2, [&](std::size_t n) {
      if (n == 1) CHECK(reloader.reload());
    });
    CHECK(exporter.pipelines_built == 2);
    const collect::Poller& poller = *exporter.loop->pipeline().poller;
    CHECK(&poller != first_poller);
    CHECK(poller.snapshot()->duration_buckets == std::vector<double>{1, 10, 100});
    CHECK(observed_jobs(*poller.snapshot()) == 1);
  }
}

TEST_CASE("--once: the exposition on the stream; 0 when everything was read, 1 when not") {
  test::LogCapture logs;
  test::FakeClock clock;
  Cloud cloud(clock);
  cloud.add("team-a", "app1");
  cloud.add("team-a", "app2");
  std::ostringstream out;
  SUBCASE("every repository read") {
    Exporter exporter(clock, cloud, base_config(), true);
    CHECK(exporter.loop->run_once(out) == 0);
    CHECK(out.str().find("swr_sync_jobs{") != std::string::npos);
    CHECK(out.str().find("swr_up 1\n") != std::string::npos);
  }
  SUBCASE("one repository failed") {
    cloud.failing.insert({"team-a", "app2"});
    Exporter exporter(clock, cloud, base_config(), true);
    CHECK(exporter.loop->run_once(out) == 1);
    CHECK(out.str().find("swr_up 0\n") != std::string::npos);
  }
  SUBCASE("discovery failed") {
    cloud.listing_fails = true;
    Exporter exporter(clock, cloud, base_config(), true);
    CHECK(exporter.loop->run_once(out) == 1);
  }
  CHECK(clock.slept() == 0ms);  // --once never waits
}
