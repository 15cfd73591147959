// Auto-sync rules (swr_sync_rule_info) and the repositories' last push: the sync_repo body parser,
// the reader's schedule within the budget, and what the poller keeps of both.
#include "collect/sync_rules.h"

#include <doctest/doctest.h>

#include <map>
#include <set>

#include "collect/change_hints.h"
#include "collect/poller.h"
#include "fake_clock.h"
#include "huaweicloud/discovery_json.h"

using namespace swr;
using namespace swr::collect;
using namespace std::chrono_literals;

namespace {

std::string describe(const std::vector<SyncRule>& rules) {
  std::string out;
  for (const SyncRule& r : rules) {
    out += r.target_region + "/" + r.target_organization + (r.sync_auto ? " auto" : " manual") +
           (r.override_image ? " override" : "") + ";";
  }
  return out;
}

// Rules by repository; failures and refusals on demand; every call counted.
class FakeRules final : public DiscoveryApi {
 public:
  std::map<std::string, std::vector<SyncRule>> rules;  // "org/repo"
  std::set<std::string> failing;
  bool refuse = false;
  std::vector<std::string> asked;
  NamesResult list_organizations(std::stop_token) override { return unexpected(ApiFailure{}); }
  ListingResult list_repositories(const std::string&, std::stop_token) override { return {}; }
  SyncRulesResult list_sync_rules(const RepositoryRef& r, std::stop_token) override {
    const std::string name = r.organization + "/" + r.repository;
    asked.push_back(name);
    if (refuse) return unexpected(ApiFailure{"sync_repo " + name + ": HTTP 401 APIGW.0301", true});
    if (failing.count(name)) return unexpected(ApiFailure{"sync_repo " + name + ": HTTP 500"});
    return rules[name];
  }
};

std::vector<RepositoryRef> repos(int n) {
  std::vector<RepositoryRef> out;
  for (int i = 0; i < n; ++i) out.push_back({"team", "app" + std::to_string(i)});
  return out;
}

}  // namespace

TEST_CASE("sync_repo bodies: every rule with its flags, or an error for the whole body") {
  using huaweicloud::parse_sync_rule_details;
  const auto good = parse_sync_rule_details(
      R"([{"domainID":"d","id":30000,"namespace":"team-a","repoName":"app",)"
      R"("remoteRegionId":"cn-east-3","remoteNamespace":"team-b","syncAuto":true,"override":false,)"
      R"("createdAt":"2026-01-01T00:00:00Z","updatedAt":"2026-01-01T00:00:00Z"},)"
      R"({"remoteRegionId":"ap-southeast-1","remoteNamespace":"mirror","syncAuto":false,)"
      R"("override":true},)"
      R"({"remoteRegionId":"cn-south-1","remoteNamespace":"x","syncAuto":null}])");
  REQUIRE(good.has_value());
  CHECK(describe(*good) ==
        "cn-east-3/team-b auto;ap-southeast-1/mirror manual override;cn-south-1/x manual;");
  REQUIRE(parse_sync_rule_details("[]").has_value());
  CHECK(parse_sync_rule_details("[]")->empty());

  struct Case {
    const char* body;
    const char* error;
  };
  const Case malformed[] = {
      {"", "malformed JSON at byte 0: The document is empty."},
      {"[{\"remoteRegionId\":\"a\"",
       "malformed JSON at byte 22: Missing a comma or '}' after an "
       "object member."},
      {"{}", "expected a JSON array of sync rules"},
      {"null", "expected a JSON array of sync rules"},
      {"[1]", "element 0 is not an object"},
      {R"([{"remoteRegionId":"a","remoteNamespace":"b"},"x"])", "element 1 is not an object"},
      {R"([{"remoteNamespace":"b"}])",
       "element 0 has no string `remoteRegionId` and `remoteNamespace`"},
      {R"([{"remoteRegionId":7,"remoteNamespace":"b"}])",
       "element 0 has no string `remoteRegionId` and `remoteNamespace`"},
      {R"([{"remoteRegionId":"a","remoteNamespace":null}])",
       "element 0 has no string `remoteRegionId` and `remoteNamespace`"},
      {R"([{"remoteRegionId":"a","remoteNamespace":"b","syncAuto":"true"}])",
       "element 0 has a `syncAuto` that is not true or false"},
      {R"([{"remoteRegionId":"a","remoteNamespace":"b","syncAuto":1}])",
       "element 0 has a `syncAuto` that is not true or false"},
      {R"([{"remoteRegionId":"a","remoteNamespace":"b","override":{}}])",
       "element 0 has a `override` that is not true or false"},
  };
  for (const Case& c : malformed) {
    CAPTURE(c.body);
    const auto parsed = parse_sync_rule_details(c.body);
    REQUIRE_FALSE(parsed.has_value());
    CHECK(parsed.error() == c.error);
  }
  // Names become label values: made valid UTF-8.
  const auto odd = parse_sync_rule_details(
      "[{\"remoteRegionId\":\"r\\u00e9\",\"remoteNamespace\":\"\xff\x66\"}]");
  REQUIRE(odd.has_value());
  REQUIRE(odd->size() == 1);
  CHECK((*odd)[0].target_region == "r\xc3\xa9");
  CHECK((*odd)[0].target_organization != "\xff\x66");
}

TEST_CASE("rule reads: new repositories first, within the budget, again after the interval") {
  FakeRules api;
  api.rules["team/app0"] = {{"cn-east-3", "team", true, false}, {"cn-east-3", "team", true, false}};
  SyncRuleReader reader({10min, 1min, 1}, api);
  const auto t0 = std::chrono::steady_clock::time_point{} + 1h;
  std::map<std::string, std::vector<SyncRule>> found;
  auto keep = [&](const RepositoryRef& r, std::vector<SyncRule> rules) {
    found[r.organization + "/" + r.repository] = std::move(rules);
  };
  const auto all = repos(20);

  SyncRuleReport r = reader.refresh(all, 8, t0, {}, keep);
  CHECK(r.read == 8);
  CHECK(r.due_left == 12);
  CHECK(api.asked.size() == 8);
  CHECK(api.asked.front() == "team/app0");
  CHECK(describe(found["team/app0"]) == "cn-east-3/team auto;");  // each rule once
  CHECK(found["team/app1"].empty());
  // No budget: nothing is read.
  r = reader.refresh(all, 0, t0 + 1min, {}, keep);
  CHECK(r.read == 0);
  CHECK(r.due_left == 12);
  CHECK(api.asked.size() == 8);
  r = reader.refresh(all, 100, t0 + 2min, {}, keep);
  CHECK(r.read == 12);
  CHECK(found.size() == 20);
  // Nothing is due within the interval, whatever the budget.
  api.asked.clear();
  r = reader.refresh(all, 100, t0 + 9min, {}, keep);
  CHECK(api.asked.empty());
  CHECK(r.due_left == 0);
  // After it, the refresh is spread: 21 repositories x 1 min / 10 min = 3 a cycle, oldest first,
  // but a repository never read goes first, whatever the spread.
  std::vector<RepositoryRef> more = all;
  more.push_back({"team", "new"});
  r = reader.refresh(more, 100, t0 + 10min, {}, keep);
  CHECK(api.asked == std::vector<std::string>{"team/new", "team/app0", "team/app1", "team/app2"});
  CHECK(r.read == 4);
}

TEST_CASE(
    "rule reads: a failure keeps the last rules and is said once; a refusal stops the cycle") {
  FakeRules api;
  api.rules["team/app0"] = {{"cn-east-3", "team", true, false}};
  SyncRuleReader reader({10min, 1min, 2}, api);
  const auto t0 = std::chrono::steady_clock::time_point{} + 1h;
  std::map<std::string, int> calls;
  auto keep = [&](const RepositoryRef& r, std::vector<SyncRule>) {
    ++calls[r.organization + "/" + r.repository];
  };
  const auto all = repos(3);
  api.failing = {"team/app1"};
  SyncRuleReport r = reader.refresh(all, 10, t0, {}, keep);
  CHECK(r.read == 2);
  CHECK(r.failed == 1);
  CHECK_FALSE(calls.count("team/app1"));
  // Failed: due again next cycle; good now.
  api.failing.clear();
  api.asked.clear();
  r = reader.refresh(all, 10, t0 + 1min, {}, keep);
  CHECK(api.asked == std::vector<std::string>{"team/app1"});
  CHECK(calls["team/app1"] == 1);
  // Refused credentials: the first refusal ends the cycle's reads.
  api.refuse = true;
  api.asked.clear();
  r = reader.refresh(repos(30), 100, t0 + 2min, {}, keep);
  CHECK(api.asked.size() <= 2);  // two in flight at most when the first is refused
  CHECK(r.failed == api.asked.size());
  CHECK(r.due_left == 27 - r.failed);
}

namespace {

class EmptyJobs final : public SyncJobApi {
 public:
  PageResult list_sync_jobs(const RepositoryRef&, std::int64_t, int, std::stop_token) override {
    return JobPage{{}, 0};
  }
  void start_cycle(std::size_t) override {}
};

ChangeHints listing(std::optional<std::int64_t> app_pushed) {
  Listings listings;
  OrganizationListing& org = listings["team"];  // a listing that worked
  (*org)["app"] = {"app", "fingerprint", "", app_pushed};
  (*org)["bad"] = {"bad", "", "`tags` is not an array", std::int64_t{1'800'000'000'000'000}};
  return ChangeHints(std::move(listings));
}

}  // namespace

TEST_CASE("the poller keeps each repository's last push and rules, and serves them") {
  swr::test::FakeClock clock;
  EmptyJobs api;
  PollOptions options;
  options.recheck_interval = 15min;
  Poller poller(options, api, clock);
  poller.set_repositories({{"team", "app"}, {"team", "bad"}, {"team", "unlisted"}});
  ChangeHints hints = listing(1'700'000'000'000'000);
  CycleInput input;
  input.hints = &hints;
  poller.run_cycle(input, {});
  auto state = [&](const std::string& name) {
    for (const RepositoryState& s : poller.snapshot()->repositories) {
      if (s.ref.repository == name) return s;
    }
    FAIL("no " << name);
    return RepositoryState{};
  };
  CHECK(state("app").last_push_us == 1'700'000'000'000'000);
  CHECK(state("bad").last_push_us == 1'800'000'000'000'000);  // no hint, but its push time
  CHECK_FALSE(state("unlisted").last_push_us);

  // A push moves it, with a new data version; a listing without it keeps the last one.
  const auto version = poller.snapshot()->data_version;
  hints = listing(1'700'000'060'000'000);
  poller.run_cycle(input, {});
  CHECK(state("app").last_push_us == 1'700'000'060'000'000);
  CHECK(poller.snapshot()->data_version > version);
  hints = listing(std::nullopt);
  poller.run_cycle(input, {});
  CHECK(state("app").last_push_us == 1'700'000'060'000'000);
  // Without change hints, discovery's listing gives it.
  CycleInput discovered;
  ChangeHints from_discovery = listing(1'700'000'120'000'000);
  discovered.discovery_listing = &from_discovery;
  poller.run_cycle(discovered, {});
  CHECK(state("app").last_push_us == 1'700'000'120'000'000);

  // Rules: set, shown after republish with the cycle's figures kept; the same again changes
  // nothing; a repository no longer polled is ignored.
  const bool up = poller.snapshot()->up;
  const auto before = poller.snapshot()->data_version;
  poller.set_sync_rules({"team", "app"}, {{"cn-east-3", "team", true, false}});
  poller.set_sync_rules({"team", "gone"}, {{"cn-east-3", "team", true, false}});
  poller.republish();
  REQUIRE(state("app").sync_rules);
  CHECK(describe(*state("app").sync_rules) == "cn-east-3/team auto;");
  CHECK_FALSE(state("bad").sync_rules);
  CHECK(poller.snapshot()->data_version == before + 1);
  CHECK(poller.snapshot()->up == up);
  CHECK(poller.snapshot()->cycle_done);
  poller.set_sync_rules({"team", "app"}, {{"cn-east-3", "team", true, false}});
  poller.republish();
  CHECK(poller.snapshot()->data_version == before + 1);
}
