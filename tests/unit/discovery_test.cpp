// Discovery and sharding: which repositories a replica polls.
#include "collect/discovery.h"

#include <doctest/doctest.h>

#include <map>
#include <set>

#include "collect/inventory.h"
#include "collect/poller.h"
#include "fake_clock.h"
#include "huaweicloud/discovery_json.h"
#include "model/shard.h"

using namespace swr;
using namespace swr::collect;

namespace {

class FakeDiscovery final : public DiscoveryApi {
 public:
  std::map<std::string, std::vector<std::string>> organizations;
  std::set<std::string> without_rules;  // "org/repo"
  std::set<std::string> failing_listings;
  bool fail_organizations = false;
  int calls = 0;
  std::map<std::string, int> listed;  // organization -> listing calls

  NamesResult list_organizations(std::stop_token) override {
    ++calls;
    if (fail_organizations) return unexpected(ApiFailure{"namespaces: HTTP 500"});
    std::vector<std::string> names;
    for (const auto& [name, repos] : organizations) names.push_back(name);
    return names;
  }
  ListingResult list_repositories(const std::string& organization, std::stop_token) override {
    ++calls;
    ++listed[organization];
    if (failing_listings.count(organization)) {
      return {unexpected(ApiFailure{"repos " + organization + " offset 0: HTTP 500"}), 1};
    }
    std::vector<RepositoryListing> entries;
    for (const std::string& name : organizations[organization]) {
      entries.push_back({name, "2026-01-01T00:00:00Z||", "", std::int64_t{1'767'225'600'000'000}});
    }
    return {entries, 1};
  }
  SyncRulesResult list_sync_rules(const RepositoryRef& r, std::stop_token) override {
    ++calls;
    if (without_rules.count(r.organization + "/" + r.repository)) {
      return std::vector<SyncRule>{};
    }
    return std::vector<SyncRule>{{"cn-east-3", r.organization, true, false}};
  }
};

std::set<std::string> names(const Result<std::vector<RepositoryRef>>& refs) {
  REQUIRE_MESSAGE(refs.has_value(), (refs ? "" : refs.error()));
  std::set<std::string> out;
  for (const auto& r : *refs) out.insert(r.organization + "/" + r.repository);
  return out;
}

}  // namespace

TEST_CASE("discovery: organizations, repositories, filters, sync rules") {
  FakeDiscovery api;
  api.organizations = {{"team-a", {"app1", "tools/builder", "app1-test"}},
                       {"platform", {"base/alpine", "web"}}};
  SUBCASE("no targets: every repository of every organization") {
    const DiscoveryResult r = discover(api, {}, {});
    REQUIRE(r.repositories.has_value());
    CHECK(r.needs_api);
    CHECK(names(r.repositories) == std::set<std::string>{"platform/base/alpine", "platform/web",
                                                         "team-a/app1", "team-a/app1-test",
                                                         "team-a/tools/builder"});
  }
  SUBCASE("an organization without repositories is discovered; a listed one is not") {
    DiscoveryOptions options;
    options.targets = {{"team-a", {}}, {"platform", {"web", "not-listed-by-the-api"}}};
    const DiscoveryResult r = discover(api, options, {});
    CHECK(names(r.repositories) ==
          std::set<std::string>{"platform/not-listed-by-the-api", "platform/web", "team-a/app1",
                                "team-a/app1-test", "team-a/tools/builder"});
    CHECK(api.calls == 1);
  }
  SUBCASE("include and exclude match the whole of organization/repository") {
    DiscoveryOptions options;
    options.include.emplace("team-a/.*");
    options.exclude.emplace(".*-test");
    const DiscoveryResult r = discover(api, options, {});
    CHECK(names(r.repositories) == std::set<std::string>{"team-a/app1", "team-a/tools/builder"});
    options.include.emplace("team-a");  // anchored: matches nothing
    CHECK(names(discover(api, options, {}).repositories).empty());
  }
  SUBCASE("only repositories with an auto-sync rule") {
    api.without_rules = {"team-a/app1-test", "platform/web"};
    DiscoveryOptions options;
    options.only_with_sync_rules = true;
    const DiscoveryResult r = discover(api, options, {});
    CHECK(names(r.repositories) ==
          std::set<std::string>{"platform/base/alpine", "team-a/app1", "team-a/tools/builder"});
  }
  SUBCASE("static targets need no API") {
    DiscoveryOptions options;
    options.targets = {{"team-a", {"app1"}}};
    CHECK(is_static(options));
    const DiscoveryResult r = discover(api, options, {});
    CHECK(r.repositories.has_value());
    CHECK_FALSE(r.needs_api);
    CHECK(api.calls == 0);
  }
  SUBCASE("a failing listing fails discovery, naming the call") {
    api.fail_organizations = true;
    const DiscoveryResult r = discover(api, {}, {});
    REQUIRE_FALSE(r.repositories.has_value());
    CHECK(r.repositories.error() == "namespaces: HTTP 500");
  }
}

TEST_CASE("shards partition the repositories exactly: disjoint and complete") {
  FakeDiscovery api;
  for (int o = 0; o < 7; ++o) {
    auto& repos = api.organizations["org-" + std::to_string(o)];
    for (int r = 0; r < 150; ++r) repos.push_back("team/service-" + std::to_string(r));
  }
  const std::set<std::string> all = names(discover(api, {}, {}).repositories);
  REQUIRE(all.size() == 1050);
  for (int total = 1; total <= 7; ++total) {
    CAPTURE(total);
    std::set<std::string> seen;
    std::size_t sum = 0;
    std::size_t smallest = all.size(), largest = 0;
    for (int shard = 0; shard < total; ++shard) {
      DiscoveryOptions options;
      options.shard = shard;
      options.total_shards = total;
      const auto part = names(discover(api, options, {}).repositories);
      sum += part.size();
      smallest = std::min(smallest, part.size());
      largest = std::max(largest, part.size());
      seen.insert(part.begin(), part.end());
    }
    CHECK(sum == all.size());  // disjoint
    CHECK(seen == all);        // complete
    CHECK(static_cast<double>(largest) < 1.3 * static_cast<double>(all.size()) / total + 10);
  }
  // The hash is fixed: the same repository lands in the same shard in every version.
  CHECK(stable_hash("") == 14695981039346656037ULL);
  CHECK(stable_hash("a") == 0xaf63dc4c8601ec8cULL);
  CHECK(shard_of({"team-a", "app1"}, 1) == 0);
  CHECK(shard_of({"team-a", "app1"}, 1000) == static_cast<int>(stable_hash("team-a/app1") % 1000));
}

TEST_CASE("the discovery parsers keep exact organization matches only") {
  const auto repos = huaweicloud::parse_repositories(
      R"([{"name":"app1","namespace":"team","total_range":3,"tags":["v1"]},
          {"name":"app2","namespace":"team-a","total_range":3},
          {"name":"x/y","namespace":"team","total_range":3}])",
      "team");
  REQUIRE(repos.has_value());
  REQUIRE(repos->entries.size() == 2);
  CHECK(repos->entries[0].name == "app1");
  CHECK(repos->entries[1].name == "x/y");
  CHECK(repos->items == 3);
  CHECK(repos->total == 3);
  const auto no_name = huaweicloud::parse_repositories(R"([{"name":1}])", "team");
  REQUIRE_FALSE(no_name.has_value());
  CHECK(no_name.error() == "element 0 has no string `name` and `namespace`");
  const auto namespaces =
      huaweicloud::parse_namespaces(R"({"namespaces":[{"id":1,"name":"team-a","auth":7}]})");
  REQUIRE(namespaces.has_value());
  CHECK(*namespaces == std::vector<std::string>{"team-a"});
  const auto not_object = huaweicloud::parse_namespaces("[]");
  REQUIRE_FALSE(not_object.has_value());
  CHECK(not_object.error() == "expected an object with a `namespaces` array");
  const auto malformed = huaweicloud::parse_namespaces("{");
  REQUIRE_FALSE(malformed.has_value());
  CHECK(malformed.error().starts_with("malformed JSON at byte 1"));
}

TEST_CASE("repositories that leave the list lose their series; new ones gain them") {
  struct StaticApi final : SyncJobApi {
    PageResult list_sync_jobs(const RepositoryRef& r, std::int64_t, int, std::stop_token) override {
      SyncJob j;
      j.id = 1;
      j.status = SyncStatus::kSuccess;
      j.target_region = "cn-east-3";
      j.target_organization = r.organization;
      return JobPage{{j}, 1};
    }
    void start_cycle(std::size_t) override {}
  } api;
  SystemClock clock;
  Poller poller({{{"a", "one"}, {"a", "two"}}, 100, 1, {1}, {"organization", "status"}}, api,
                clock);
  poller.run_cycle({});
  CHECK(poller.snapshot()->repositories.size() == 2);
  poller.set_repositories({{"a", "two"}, {"b", "three"}});
  poller.run_cycle({});
  const auto& repos = poller.snapshot()->repositories;
  REQUIRE(repos.size() == 2);
  CHECK(repos[0].ref == RepositoryRef{"a", "two"});
  CHECK(repos[1].ref == RepositoryRef{"b", "three"});
  CHECK(poller.tracked_jobs() == 2);
  std::set<std::string> orgs;
  for (const auto& s : poller.snapshot()->durations) orgs.insert(s.label_values[0]);
  CHECK(orgs == std::set<std::string>{"a", "b"});
}

TEST_CASE("the inventory: one listing a cycle serves both discovery and the change hints") {
  FakeDiscovery api;
  api.organizations = {{"team-a", {"app1", "app2"}}, {"platform", {"web"}}};
  using namespace std::chrono_literals;
  test::FakeClock clock;
  const auto t0 = clock.now();
  // The inventory's cycle with the clock `offset` after the first.
  const auto next_at = [&](Inventory& inventory, std::chrono::minutes offset) {
    clock.set(t0 + offset);
    return inventory.next({});
  };
  SUBCASE(
      "discovered: each organization listed once a cycle, namespaces at the discovery cadence") {
    Inventory inventory({{}, 10min, true, 2}, api, clock);
    InventoryCycle c = next_at(inventory, 0min);
    REQUIRE(c.discovery);
    CHECK(names(c.discovery->repositories).size() == 3);
    CHECK(api.listed == std::map<std::string, int>{{"platform", 1}, {"team-a", 1}});
    CHECK(c.listing_requests == 2);
    CHECK(c.hints.listed());
    CHECK(c.hints.lookup({"team-a", "app1"}).kind == Hint::Kind::kFingerprint);
    CHECK(c.hints.lookup({"team-a", "gone"}).kind == Hint::Kind::kUnlisted);
    const int namespaces_calls = api.calls - 2;
    c = next_at(inventory, 1min);
    CHECK_FALSE(c.discovery);
    CHECK(api.listed == std::map<std::string, int>{{"platform", 2}, {"team-a", 2}});
    CHECK(api.calls - 4 == namespaces_calls);  // no namespaces call between discoveries
    c = next_at(inventory, 9min);
    CHECK_FALSE(c.discovery);  // 9 of 10 minutes
    c = next_at(inventory, 10min);
    CHECK(c.discovery);  // on the minute the interval ends
    CHECK(api.listed == std::map<std::string, int>{{"platform", 4}, {"team-a", 4}});
    c = next_at(inventory, 19min);
    CHECK_FALSE(c.discovery);  // the interval counts from the last discovery
    c = next_at(inventory, 21min);
    CHECK(c.discovery);
    CHECK(api.listed == std::map<std::string, int>{{"platform", 6}, {"team-a", 6}});
  }
  SUBCASE("named repositories take their hints from the same listing") {
    DiscoveryOptions options;
    options.targets = {{"team-a", {"app2"}}};
    Inventory inventory({options, 10min, true, 4}, api, clock);
    InventoryCycle c = next_at(inventory, 0min);
    REQUIRE(c.discovery);
    CHECK(c.discovery->repositories == std::vector<RepositoryRef>{{"team-a", "app2"}});
    CHECK(api.listed == std::map<std::string, int>{{"team-a", 1}});
    CHECK(c.hints.lookup({"team-a", "app2"}).kind == Hint::Kind::kFingerprint);
    c = next_at(inventory, 1min);
    CHECK_FALSE(c.discovery);  // static: discovered once
    CHECK(api.listed == std::map<std::string, int>{{"team-a", 2}});
  }
  SUBCASE("without change hints, only discovery lists") {
    Inventory inventory({{}, 10min, false, 4}, api, clock);
    next_at(inventory, 0min);
    const int calls = api.calls;
    const InventoryCycle c = next_at(inventory, 1min);
    CHECK(api.calls == calls);
    CHECK_FALSE(c.hints.listed());
  }
  SUBCASE("a failing listing is said, and its repositories get no hint but a failed one") {
    Inventory inventory({{}, 10min, true, 4}, api, clock);
    next_at(inventory, 0min);
    api.failing_listings = {"platform"};
    const InventoryCycle c = next_at(inventory, 1min);
    CHECK(c.listing_errors == std::vector<std::string>{"repos platform offset 0: HTTP 500"});
    const Hint hint = c.hints.lookup({"platform", "web"});
    CHECK(hint.kind == Hint::Kind::kListingFailed);
    CHECK(*hint.problem == "repos platform offset 0: HTTP 500");
    CHECK(c.hints.lookup({"team-a", "app1"}).kind == Hint::Kind::kFingerprint);
  }
}
