// The repository listing (ListReposDetails): what moves it (pushes, and nothing else), its pages,
// its two query forms and their validation.
#include <algorithm>
#include <set>
#include <tuple>

#include "sim_test_support.h"

using namespace swr::sim;
using namespace swr::sim::test;
using swr::format_timestamp_us;
using swr::RepositoryRef;

namespace {

constexpr std::int64_t kNow = 1700000000000000;
constexpr std::int64_t kSecond = 1000000;

WorldData small_world(bool churning = false) {
  GenerationParams p;
  p.seed = 11;
  p.organizations = 3;
  p.repositories = 12;
  p.jobs = 20;
  p.churning = churning;
  return generate_world(p, identity_for(Credentials{}), kNow);
}

std::vector<std::string> distinct_tags(const std::vector<SimJob>& jobs) {
  std::vector<std::string> out;
  for (const SimJob& j : jobs) {
    if (std::find(out.begin(), out.end(), j.tag) == out.end()) out.push_back(j.tag);
  }
  return out;
}

std::size_t job_total(const World& world, const RepositoryRef& ref) {
  return world.page(ref, 0, 0, false).total;
}

// The listing computed the slow way from the world's data: every repository, filtered, sorted.
std::pair<std::vector<std::string>, std::size_t> expected_page(const WorldData& data,
                                                               const RepositoryQuery& q) {
  using Row = std::pair<const RepositoryRef*, const SimRepository*>;
  std::vector<Row> rows;
  for (const auto& [ref, repo] : data.repositories) {
    if (ref.organization.find(q.organization_contains) == std::string::npos) continue;
    if (ref.repository.find(q.name_contains) == std::string::npos) continue;
    if (!q.category.empty() && repo.category != q.category) continue;
    rows.emplace_back(&ref, &repo);
  }
  const auto key = [&](const Row& r) {
    switch (q.order) {
      case RepositoryOrder::kName:
        return std::make_tuple(r.first->repository, std::int64_t{0});
      case RepositoryOrder::kUpdatedTime:
        return std::make_tuple(std::string(), r.second->updated_us);
      case RepositoryOrder::kTagCount:
        return std::make_tuple(std::string(), static_cast<std::int64_t>(r.second->tags.size()));
      case RepositoryOrder::kOrganizationThenName:
        break;
    }
    return std::make_tuple(r.first->organization + '\0' + r.first->repository, std::int64_t{0});
  };
  std::sort(rows.begin(), rows.end(), [&](const Row& a, const Row& b) {
    const auto ka = key(a), kb = key(b);
    if (ka != kb) return q.descending ? kb < ka : ka < kb;
    return *a.first < *b.first;
  });
  std::vector<std::string> names;
  for (std::size_t i = q.offset; i < rows.size() && names.size() < q.limit; ++i) {
    names.push_back(rows[i].first->organization + "/" + rows[i].first->repository);
  }
  return {names, rows.size()};
}

std::vector<std::string> names_of(const RepositoryPage& page) {
  std::vector<std::string> out;
  for (const RepositorySummary& s : page.items) out.push_back(s.organization + "/" + s.name);
  return out;
}

}  // namespace

TEST_CASE("a generated world's listing is what its jobs' pushes left, the same for a seed") {
  const WorldData a = small_world();
  const WorldData b = small_world();
  std::set<std::int64_t> ids;
  for (const auto& [ref, repo] : a.repositories) {
    const std::string& repository = ref.repository;  // clang 14 captures no binding
    CAPTURE(repository);
    REQUIRE(!repo.jobs.empty());
    CHECK(repo.tags == distinct_tags(repo.jobs));
    CHECK(repo.updated_us == repo.jobs.back().created_us);  // the newest job's creation
    CHECK(repo.created_us <= repo.updated_us);
    CHECK(repo.category == "other");
    CHECK(ids.insert(repo.id).second);
    const SimRepository& other = b.repositories.at(ref);
    CHECK(repo.id == other.id);
    CHECK(repo.tags == other.tags);
    CHECK(repo.updated_us == other.updated_us);
  }
  // Ids in listing order, from 500000 as before.
  CHECK(a.repositories.begin()->second.id == 500000);
  CHECK(std::prev(a.repositories.end())->second.id == 500035);

  const World world(small_world(), identity_for(Credentials{}));
  const auto s = world.repository(a.repositories.begin()->first);
  REQUIRE(s);
  CHECK(s->tags == a.repositories.begin()->second.tags);
  CHECK(s->updated_at == a.repositories.begin()->second.jobs.back().created_at);
  CHECK(world.repository_count() == 36);
  CHECK_FALSE(world.repository({"team-a", "nope"}));
}

TEST_CASE("a data file's listing: tags of its jobs, updated_at at the newest job's creation") {
  TempFile file(R"({"organizations": ["empty-org"], "repositories": [
    {"organization": "team-a", "repository": "app", "category": "linux", "jobs": [
      {"id": 1, "createdAt": "2020-03-12T08:00:00Z", "tag": "v1"},
      {"id": 2, "createdAt": "2020-03-12T09:00:00+08:00", "tag": "v2"},
      {"id": 3, "createdAt": "2020-03-13T00:00:00Z", "tag": "v1"},
      {"id": 4, "createdAt": "not a time", "tag": "odd"}]},
    {"organization": "team-a", "repository": "empty"}]})");
  SimConfig config;
  config.data = file.path.string();
  FakeClock clock{FakeClock::real_now()};
  SimServer server(config, clock.sim_clock());
  const auto app = server.world().repository({"team-a", "app"});
  REQUIRE(app);
  CHECK(app->tags == std::vector<std::string>{"odd", "v2", "v1"});  // in creation order
  CHECK(app->updated_at == "2020-03-13T00:00:00.000000Z");
  CHECK(app->created_at <= app->updated_at);
  CHECK(app->category == "linux");
  const auto empty = server.world().repository({"team-a", "empty"});
  REQUIRE(empty);
  CHECK(empty->tags.empty());
  CHECK(empty->updated_at == empty->created_at);
  CHECK(empty->category == "other");

  TempFile bad(R"({"repositories": [{"organization": "a", "repository": "b", "category": "x"}]})");
  config.data = bad.path.string();
  CHECK_THROWS_WITH_AS(SimServer{config}, doctest::Contains("repositories[0].category"),
                       ConfigError);
}

TEST_CASE("churn: status changes leave the listing alone, new jobs push a new tag") {
  World world(small_world(true), identity_for(Credentials{}));
  std::mt19937_64 rng(3);
  std::size_t moved = 0, unmoved_with_status_changes = 0;
  for (int round = 1; round <= 20; ++round) {
    RepositoryQuery all;
    all.limit = 1000;
    const RepositoryPage before = world.list_repositories(all);
    std::map<std::string, std::pair<std::size_t, std::string>> jobs_before;  // count, statuses
    for (const RepositorySummary& r : before.items) {
      std::string statuses;
      for (const SimJob& j : world.page({r.organization, r.name}, 0, 1000, false).jobs) {
        statuses += j.status + ",";
      }
      jobs_before[r.organization + "/" + r.name] = {job_total(world, {r.organization, r.name}),
                                                    statuses};
    }
    const std::int64_t now = kNow + round * 10 * kSecond;
    world.churn(rng, now);
    for (const RepositorySummary& r : before.items) {
      CAPTURE(r.name);
      const RepositoryRef ref{r.organization, r.name};
      const auto after = world.repository(ref);
      REQUIRE(after);
      const JobPage jobs = world.page(ref, 0, 1000, false);
      const std::size_t added = jobs.total - jobs_before[r.organization + "/" + r.name].first;
      if (added == 0) {
        CHECK(after->updated_at == r.updated_at);
        CHECK(after->tags == r.tags);
        std::string statuses;
        for (const SimJob& j : jobs.jobs) statuses += j.status + ",";
        if (statuses != jobs_before[r.organization + "/" + r.name].second) {
          ++unmoved_with_status_changes;
        }
      } else {
        ++moved;
        CHECK(after->updated_at == format_timestamp_us(now));
        const SimJob& newest = jobs.jobs.back();
        CHECK(newest.created_us == now);
        CHECK(after->tags.size() == r.tags.size() + 1);
        CHECK(after->tags.back() == newest.tag);
      }
    }
  }
  CHECK(moved > 0);
  CHECK(unmoved_with_status_changes > 0);  // the test did see status changes without a push
}

TEST_CASE("World: pushes, automatic and manual syncs") {
  World world(small_world(), identity_for(Credentials{}));
  const RepositoryRef ref{"team-a", "app1"};
  const RepositorySummary start = *world.repository(ref);
  const std::size_t jobs = job_total(world, ref);

  SUBCASE("an automatic sync pushes each job's tag") {
    NewJob a, b;
    a.tag = "fresh-1";
    b.tag = start.tags.front();  // already there: moves updated_at only
    REQUIRE(world.append(ref, {a, b}, kNow + kSecond));
    const RepositorySummary s = *world.repository(ref);
    CHECK(s.updated_at == format_timestamp_us(kNow + kSecond));
    CHECK(s.tags.size() == start.tags.size() + 1);
    CHECK(s.tags.back() == "fresh-1");
    CHECK(job_total(world, ref) == jobs + 2);
  }
  SUBCASE("a manual sync adds jobs and leaves the listing") {
    NewJob a;
    a.tag = "manual-1";
    const auto ids = world.append(ref, {a}, kNow + kSecond, SyncTrigger::kManual);
    REQUIRE(ids);
    CHECK(ids->size() == 1);
    const RepositorySummary s = *world.repository(ref);
    CHECK(s.updated_at == start.updated_at);
    CHECK(s.tags == start.tags);
    CHECK(job_total(world, ref) == jobs + 1);
    CHECK_FALSE(world.append({"team-a", "nope"}, {a}, kNow, SyncTrigger::kManual));
    CHECK_FALSE(world.repository({"team-a", "nope"}));
  }
  SUBCASE("a push starts no job") {
    world.push(ref, "pushed-only", kNow + 2 * kSecond);
    RepositorySummary s = *world.repository(ref);
    CHECK(s.updated_at == format_timestamp_us(kNow + 2 * kSecond));
    CHECK(s.tags.back() == "pushed-only");
    CHECK(job_total(world, ref) == jobs);
    world.push(ref, "pushed-only", kNow + 3 * kSecond);
    s = *world.repository(ref);
    CHECK(s.updated_at == format_timestamp_us(kNow + 3 * kSecond));
    CHECK(s.tags.size() == start.tags.size() + 1);
  }
  SUBCASE("new repositories get new ids and their place in the listing; ids stay on removal") {
    world.push({"aaa-first", "x"}, "v1", kNow);
    world.push({"team-a", "zzz"}, "v1", kNow);
    const auto first = world.repository({"aaa-first", "x"});
    REQUIRE(first);
    CHECK(first->id == 500036);
    CHECK(first->tags == std::vector<std::string>{"v1"});
    CHECK(first->created_at == format_timestamp_us(kNow));
    CHECK(first->updated_at == format_timestamp_us(kNow));
    CHECK(world.repository({"team-a", "zzz"})->id == 500037);
    CHECK(names_of(world.list_repositories({})).front() == "aaa-first/x");
    RepositoryQuery team_a;
    team_a.organization_contains = "team-a";
    team_a.limit = 1000;
    CHECK(names_of(world.list_repositories(team_a)).back() == "team-a/zzz");
    const std::int64_t last_id = world.repository({"team-a", "zzz"})->id;
    CHECK(world.remove({"aaa-first", "x"}));
    CHECK(world.repository({"team-a", "zzz"})->id == last_id);
    CHECK(world.repository_count() == 37);
    CHECK(names_of(world.list_repositories({})).front() != "aaa-first/x");
  }
}

TEST_CASE("World::list_repositories matches the listing computed from every repository") {
  WorldData data = small_world();
  // Some variety in what the orders sort by.
  std::int64_t i = 0;
  for (auto& [ref, repo] : data.repositories) {
    repo.updated_us = kNow - (i * 7919 % 13) * kSecond;
    if (i % 4 == 0) repo.category = "linux";
    repo.tags.resize(static_cast<std::size_t>(i * 31 % 9));
    ++i;
  }
  const World world(data, identity_for(Credentials{}));
  const char* organizations[] = {"", "team-a", "a", "-", "nobody"};
  const char* names[] = {"", "a", "/", "zzz"};
  const char* categories[] = {"", "linux", "other", "arm"};
  const RepositoryOrder orders[] = {RepositoryOrder::kOrganizationThenName, RepositoryOrder::kName,
                                    RepositoryOrder::kUpdatedTime, RepositoryOrder::kTagCount};
  const std::size_t pages[][2] = {{100, 0}, {5, 0}, {5, 5}, {7, 21}, {1, 35}, {10, 40}};
  std::size_t checked = 0;
  for (const char* org : organizations) {
    for (const char* name : names) {
      for (const char* category : categories) {
        for (const RepositoryOrder order : orders) {
          for (const bool descending : {false, true}) {
            for (const auto& [limit, offset] : pages) {
              RepositoryQuery q;
              q.organization_contains = org;
              q.name_contains = name;
              q.category = category;
              q.order = order;
              q.descending = descending;
              q.limit = limit;
              q.offset = offset;
              CAPTURE(org);
              CAPTURE(name);
              CAPTURE(category);
              CAPTURE(static_cast<int>(order));
              CAPTURE(descending);
              CAPTURE(q.offset);
              const RepositoryPage page = world.list_repositories(q);
              const auto [expected, total] = expected_page(data, q);
              CHECK(names_of(page) == expected);
              CHECK(page.total == total);
              ++checked;
            }
          }
        }
      }
    }
  }
  CHECK(checked == 3840);
  // The page carries each repository's listing in full.
  RepositoryQuery one;
  one.limit = 1;
  const RepositorySummary first = world.list_repositories(one).items.at(0);
  const SimRepository& repo = data.repositories.begin()->second;
  CHECK(first.id == repo.id);
  CHECK(first.tags == repo.tags);
  CHECK(first.updated_at == format_timestamp_us(repo.updated_us));
  CHECK(first.category == repo.category);
}

// ---- over HTTP ----

namespace {

struct ListingSim {
  FakeClock clock{FakeClock::real_now()};
  RunningSim sim;
  std::string token;
  ListingSim() : sim(SimConfig{}, clock.sim_clock()) { token = sim.token(); }

  httplib::Result post(const std::string& path, const std::string& body) {
    return sim.client().Post(path, body, "application/json");
  }
  // The listing entry of one repository, through the API.
  rapidjson::Document entry(const std::string& org, const std::string& repo) {
    const auto res =
        sim.get("/v2/manage/repos?filter=" +
                    swr::huaweicloud::percent_encode("namespace::" + org + "|name::" + repo +
                                                     "|limit::1000|offset::0"),
                token);
    REQUIRE(res);
    REQUIRE(res->status == 200);
    rapidjson::Document page = parse_json(res->body);
    rapidjson::Document out;
    for (auto& item : page.GetArray()) {
      if (std::string(item["namespace"].GetString()) == org &&
          std::string(item["name"].GetString()) == repo) {
        out.CopyFrom(item, out.GetAllocator());
      }
    }
    REQUIRE(out.IsObject());
    return out;
  }
  std::size_t jobs(const std::string& org, const std::string& repo_in_path) {
    const auto res = sim.get(job_target(org, repo_in_path, 1, 0), token);
    REQUIRE(res);
    REQUIRE(res->status == 200);
    const std::string range = res->get_header_value("Content-Range");
    return std::stoul(range.substr(range.rfind('/') + 1));
  }
};

std::vector<std::string> tags_of(const rapidjson::Value& entry) {
  std::vector<std::string> out;
  for (const auto& t : entry["tags"].GetArray()) out.emplace_back(t.GetString());
  return out;
}

std::string str(const rapidjson::Value& v) { return {v.GetString(), v.GetStringLength()}; }

}  // namespace

TEST_CASE("POST /_sim/jobs is a push unless manual; POST /_sim/push pushes without a job") {
  ListingSim s;
  const rapidjson::Document start = s.entry("team-a", "tools/builder");
  const std::vector<std::string> start_tags = tags_of(start);
  const std::size_t start_jobs = s.jobs("team-a", "tools$builder");
  s.clock.advance(std::chrono::seconds(60));
  const std::string now = format_timestamp_us(s.clock.micros());

  SUBCASE("jobs: the tags are pushed, the listing moves") {
    const auto res = s.post("/_sim/jobs", R"({"organization":"team-a","repository":"tools/builder",
        "jobs":[{"tag":"v9.9.9"},{"tag":"v9.9.10","status":"running"}]})");
    REQUIRE(res->status == 200);
    CHECK(parse_json(res->body)["ids"].Size() == 2);
    const rapidjson::Document e = s.entry("team-a", "tools/builder");
    CHECK(str(e["updated_at"]) == now);
    std::vector<std::string> tags = start_tags;
    tags.push_back("v9.9.9");
    tags.push_back("v9.9.10");
    CHECK(tags_of(e) == tags);
    CHECK(e["num_images"].GetInt64() == static_cast<std::int64_t>(tags.size()));
    CHECK(s.jobs("team-a", "tools$builder") == start_jobs + 2);
  }
  SUBCASE("jobs with \"manual\": true: jobs only, the listing stays") {
    const auto res = s.post("/_sim/jobs", R"({"organization":"team-a","repository":"tools/builder",
        "manual":true,"jobs":[{"tag":"v9.9.9"}]})");
    REQUIRE(res->status == 200);
    const auto ids = parse_json(res->body);
    REQUIRE(ids["ids"].Size() == 1);
    const rapidjson::Document e = s.entry("team-a", "tools/builder");
    CHECK(str(e["updated_at"]) == str(start["updated_at"]));
    CHECK(tags_of(e) == start_tags);
    CHECK(e["num_images"] == start["num_images"]);
    CHECK(s.jobs("team-a", "tools$builder") == start_jobs + 1);
    const auto newest =
        parse_json(s.sim.get(job_target("team-a", "tools$builder", 1, 0, "desc"), s.token)->body);
    CHECK(newest[0]["id"] == ids["ids"][0]);
    CHECK(str(newest[0]["tag"]) == "v9.9.9");
    // "manual": false is the default, a push.
    REQUIRE(s.post("/_sim/jobs", R"({"organization":"team-a","repository":"tools/builder",
        "manual":false,"jobs":[{"tag":"v9.9.9"}]})")
                ->status == 200);
    CHECK(str(s.entry("team-a", "tools/builder")["updated_at"]) == now);
  }
  SUBCASE("manual: a bad value, a missing repository") {
    for (const char* value : {R"("yes")", "1", "null", "[]"}) {
      CAPTURE(value);
      const auto res = s.post("/_sim/jobs", std::string(R"({"organization":"team-a",
          "repository":"tools/builder","jobs":[],"manual":)") +
                                                value + "}");
      CHECK(res->status == 400);
      CHECK(res->body == R"({"error":"manual must be true or false"})");
    }
    const auto res = s.post("/_sim/jobs", R"({"organization":"team-a","repository":"nope",
        "manual":true,"jobs":[{"tag":"v1"}]})");
    CHECK(res->status == 404);
    CHECK(str(parse_json(res->body)["error"]).find("team-a/nope") != std::string::npos);
    CHECK(s.sim.get(job_target("team-a", "nope", 1, 0), s.token)->status == 404);
  }
  SUBCASE("push: a new tag, then the same tag again; no job either time") {
    auto res = s.post("/_sim/push",
                      R"({"organization":"team-a","repository":"tools/builder","tag":"x1"})");
    REQUIRE(res->status == 200);
    CHECK(res->body == R"({"pushed":true})");
    rapidjson::Document e = s.entry("team-a", "tools/builder");
    CHECK(str(e["updated_at"]) == now);
    std::vector<std::string> tags = start_tags;
    tags.push_back("x1");
    CHECK(tags_of(e) == tags);
    CHECK(e["num_images"].GetInt64() == static_cast<std::int64_t>(tags.size()));
    s.clock.advance(std::chrono::seconds(5));
    res = s.post("/_sim/push",
                 R"({"organization":"team-a","repository":"tools/builder","tag":"x1"})");
    REQUIRE(res->status == 200);
    e = s.entry("team-a", "tools/builder");
    CHECK(str(e["updated_at"]) == format_timestamp_us(s.clock.micros()));
    CHECK(tags_of(e) == tags);
    CHECK(s.jobs("team-a", "tools$builder") == start_jobs);
    CHECK(s.sim.stats()["jobs"].GetUint64() == 400);
  }
  SUBCASE("push: a new repository") {
    REQUIRE(s.post("/_sim/push", R"({"organization":"new-org","repository":"ns/app","tag":"v1"})")
                ->status == 200);
    const rapidjson::Document e = s.entry("new-org", "ns/app");
    CHECK(tags_of(e) == std::vector<std::string>{"v1"});
    CHECK(str(e["created_at"]) == now);
    CHECK(str(e["updated_at"]) == now);
    const auto jobs = s.sim.get(job_target("new-org", "ns$app", 10, 0), s.token);
    CHECK(jobs->status == 200);
    CHECK(jobs->body == "[]");
  }
  SUBCASE("push: bad bodies") {
    const std::pair<const char*, const char*> cases[] = {
        {R"({"organization":"team-a","repository":"tools/builder"})", "tag is required"},
        {R"({"organization":"team-a","repository":"tools/builder","tag":""})", "tag is empty"},
        {R"({"organization":"team-a","repository":"tools/builder","tag":3})",
         "tag must be a string"},
        {R"({"repository":"tools/builder","tag":"v1"})", "organization is required"},
        {R"([])", "body must be a JSON object"},
        {R"({)", "body is not valid JSON"},
    };
    for (const auto& [body, message] : cases) {
      const char* sent = body;  // clang 14 captures no binding
      CAPTURE(sent);
      const auto res = s.post("/_sim/push", body);
      CHECK(res->status == 400);
      CHECK(str(parse_json(res->body)["error"]) == message);
    }
    const rapidjson::Document after = s.entry("team-a", "tools/builder");
    CHECK(str(after["updated_at"]) == str(start["updated_at"]));
    CHECK(tags_of(after) == start_tags);
  }
}

TEST_CASE("ListReposDetails: filter and its own query parameters give the same pages") {
  ListingSim s;
  struct Case {
    const char* filter;
    const char* params;
    const char* range;
    std::size_t size;
  };
  const Case cases[] = {
      {"namespace::team-a|limit::2|offset::2", "namespace=team-a&limit=2&offset=2", "2-2/5", 2},
      {"namespace::team-a|limit::1000|offset::0", "namespace=team-a&limit=1000&offset=0", "0-5/5",
       5},
      {"namespace::a|limit::4|offset::8", "namespace=a&limit=4&offset=8", "8-2/10", 2},
      {"name::a|limit::100|offset::0", "name=a&limit=100&offset=0", "0-6/6", 6},
      {"category::other", "category=other", "0-10/10", 10},
      {"category::linux", "category=linux", "0-0/0", 0},
      {"namespace::platform|order_column::name|order_type::desc",
       "namespace=platform&order_column=name&order_type=desc", "0-5/5", 5},
      {"limit::3|offset::3|order_column::tag_count|order_type::asc",
       "limit=3&offset=3&order_column=tag_count&order_type=asc", "3-3/10", 3},
  };
  for (const Case& c : cases) {
    CAPTURE(c.filter);
    const auto by_filter = s.sim.get(
        std::string("/v2/manage/repos?filter=") + swr::huaweicloud::percent_encode(c.filter),
        s.token);
    const auto by_params = s.sim.get(std::string("/v2/manage/repos?") + c.params, s.token);
    REQUIRE(by_filter->status == 200);
    REQUIRE(by_params->status == 200);
    CHECK(by_filter->body == by_params->body);
    CHECK(by_filter->get_header_value("Content-Range") ==
          by_params->get_header_value("Content-Range"));
    CHECK(by_filter->get_header_value("Content-Range") == c.range);
    const auto page = parse_json(by_filter->body);
    CHECK(page.Size() == c.size);
    const std::string range = c.range;
    for (const auto& item : page.GetArray()) {
      CHECK(item["total_range"].GetInt64() == std::stoll(range.substr(range.rfind('/') + 1)));
    }
  }
  // The page's content: the organization's repositories in name order, ids as before, every
  // field of the SDK's ShowReposResp model (and the id).
  const auto page = parse_json(s.sim.get("/v2/manage/repos?namespace=team-a", s.token)->body);
  REQUIRE(page.Size() == 5);
  std::set<std::string> keys;
  for (const auto& m : page[0].GetObject()) keys.insert(m.name.GetString());
  CHECK(keys == std::set<std::string>{"id", "name", "category", "description", "size", "is_public",
                                      "num_images", "num_download", "created_at", "updated_at",
                                      "logo", "url", "path", "internal_path", "domain_name",
                                      "namespace", "tags", "status", "total_range"});
  std::vector<std::string> names;
  for (const auto& item : page.GetArray()) {
    CHECK(str(item["namespace"]) == "team-a");
    CHECK(str(item["category"]) == "other");
    CHECK(item["num_images"].GetInt64() == item["tags"].Size());
    names.push_back(str(item["name"]));
  }
  CHECK(std::is_sorted(names.begin(), names.end()));
  CHECK(page[0]["id"].GetInt64() == 500005);  // after platform's five
}

TEST_CASE("ListReposDetails: order_column and order_type") {
  ListingSim s;
  // Distinct push times and tag counts for team-a's repositories.
  const char* repos[] = {"app1", "tools/builder", "api-gateway", "base/alpine", "web-frontend"};
  for (int i = 0; i < 5; ++i) {
    s.clock.advance(std::chrono::seconds(10));
    for (int t = 0; t <= i * 40; ++t) {
      REQUIRE(s.post("/_sim/push", std::string(R"({"organization":"team-a","repository":")") +
                                       repos[i] + R"(","tag":"extra-)" + std::to_string(t) +
                                       R"("})")
                  ->status == 200);
    }
  }
  const auto listing = [&](const std::string& column, const std::string& type) {
    const auto res = s.sim.get(
        "/v2/manage/repos?namespace=team-a&order_column=" + column + "&order_type=" + type,
        s.token);
    REQUIRE(res->status == 200);
    return parse_json(res->body);
  };
  const auto names = [&](const rapidjson::Document& page) {
    std::vector<std::string> out;
    for (const auto& item : page.GetArray()) out.push_back(str(item["name"]));
    return out;
  };
  const std::vector<std::string> pushed(std::begin(repos), std::end(repos));
  std::vector<std::string> reversed = pushed;
  std::reverse(reversed.begin(), reversed.end());
  CHECK(names(listing("updated_time", "asc")) == pushed);
  CHECK(names(listing("updated_time", "desc")) == reversed);
  // The SDK documents the query parameter's value as updated_at.
  CHECK(names(listing("updated_at", "asc")) == pushed);
  CHECK(names(listing("updated_at", "desc")) == reversed);
  std::vector<std::string> by_name = pushed;
  std::sort(by_name.begin(), by_name.end());
  CHECK(names(listing("name", "asc")) == by_name);
  std::reverse(by_name.begin(), by_name.end());
  CHECK(names(listing("name", "desc")) == by_name);
  const auto by_tags = listing("tag_count", "desc");
  for (rapidjson::SizeType i = 1; i < by_tags.Size(); ++i) {
    CHECK(by_tags[i - 1]["num_images"].GetInt64() >= by_tags[i]["num_images"].GetInt64());
  }
  CHECK(str(by_tags[0]["name"]) == "web-frontend");
  const auto by_tags_asc = listing("tag_count", "asc");
  for (rapidjson::SizeType i = 1; i < by_tags_asc.Size(); ++i) {
    CHECK(by_tags_asc[i - 1]["num_images"].GetInt64() <= by_tags_asc[i]["num_images"].GetInt64());
  }
  // Across organizations: by name first, the organization breaks ties.
  const auto all = parse_json(
      s.sim.get("/v2/manage/repos?limit=1000&offset=0&order_column=name&order_type=asc", s.token)
          ->body);
  REQUIRE(all.Size() == 10);
  for (rapidjson::SizeType i = 1; i < all.Size(); ++i) {
    const auto a = std::make_pair(str(all[i - 1]["name"]), str(all[i - 1]["namespace"]));
    const auto b = std::make_pair(str(all[i]["name"]), str(all[i]["namespace"]));
    CHECK(a <= b);
  }
}

TEST_CASE("ListReposDetails: each bad query is a 400 in SWR's error body, naming what is wrong") {
  ListingSim s;
  struct Case {
    const char* query;
    const char* message;
  };
  const Case cases[] = {
      // Either form.
      {"limit=0&offset=0", "invalid query: limit '0' must be an integer from 1 to 1000"},
      {"limit=1001&offset=0", "invalid query: limit '1001' must be an integer from 1 to 1000"},
      {"limit=-1&offset=0", "invalid query: limit '-1' must be an integer from 1 to 1000"},
      {"limit=ten&offset=0", "invalid query: limit 'ten' must be an integer from 1 to 1000"},
      {"limit=10&offset=-10", "invalid query: offset '-10' must be a non-negative integer"},
      {"limit=10&offset=x", "invalid query: offset 'x' must be a non-negative integer"},
      {"limit=10&offset=5", "invalid query: offset must be a multiple of limit"},
      {"limit=10", "invalid query: limit and offset go together: give both or neither"},
      {"offset=0", "invalid query: limit and offset go together: give both or neither"},
      {"order_column=name",
       "invalid query: order_column and order_type go together: give both or neither"},
      {"order_type=asc",
       "invalid query: order_column and order_type go together: give both or neither"},
      {"order_column=created_at&order_type=asc",
       "invalid query: order_column 'created_at' must be one of name, updated_time (or "
       "updated_at), tag_count"},
      {"order_column=name&order_type=up", "invalid query: order_type 'up' must be asc or desc"},
      {"category=arms",
       "invalid query: category 'arms' must be one of app_server, linux, framework_app, "
       "database, lang, other, windows, arm"},
      {"namespace=", "invalid query: 'namespace' is empty"},
      {"filter=limit%3A%3A10",
       "invalid filter: limit and offset go together: give both or neither"},
      {"filter=limit%3A%3A1001%7Coffset%3A%3A0",
       "invalid filter: limit '1001' must be an integer from 1 to 1000"},
      {"filter=order_column%3A%3Atag_count%7Corder_type%3A%3Adown",
       "invalid filter: order_type 'down' must be asc or desc"},
      {"filter=category%3A%3Awin",
       "invalid filter: category 'win' must be one of app_server, linux, framework_app, "
       "database, lang, other, windows, arm"},
      {"filter=center%3A%3Aself", "invalid filter: filter key 'center' is not supported"},
      // The two forms at once.
      {"filter=limit%3A%3A10%7Coffset%3A%3A0&namespace=team-a",
       "query parameter 'namespace' cannot be combined with filter: send the conditions either "
       "in filter or as query parameters"},
      {"order_type=asc&filter=namespace%3A%3Ateam-a",
       "query parameter 'order_type' cannot be combined with filter: send the conditions either "
       "in filter or as query parameters"},
      // Names it does not know, and repeated ones.
      {"namespace=team-a&page=2", "unsupported query parameter 'page'"},
      {"namespace=team-a&namespace=platform", "query parameter 'namespace' is given twice"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.query);
    const auto res = s.sim.get(std::string("/v2/manage/repos?") + c.query, s.token);
    REQUIRE(res);
    CHECK(res->status == 400);
    const auto doc = parse_json(res->body);
    CHECK(str(doc["error_code"]) == "SVCSTG.SWR.4000000");
    CHECK(str(doc["error_msg"]) == c.message);
    CHECK(str(doc["errors"][0]["errorMessage"]) == c.message);
    CHECK(doc["details"].IsArray());
  }
  SUBCASE("in the legacy array shape when configured") {
    SimConfig config;
    config.legacy_error_bodies = true;
    RunningSim legacy(config);
    const auto res =
        legacy.get("/v2/manage/repos?filter=limit%3A%3A10%7Coffset%3A%3A0&name=x", legacy.token());
    CHECK(res->status == 400);
    const auto doc = parse_json(res->body);
    REQUIRE(doc.IsArray());
    CHECK(str(doc[0]["errorMessage"]).find("'name' cannot be combined with filter") !=
          std::string::npos);
  }
}

TEST_CASE("ListNamespaces: namespace in filter or as its own query parameter, not both") {
  ListingSim s;
  const auto names = [&](const std::string& query) {
    const auto res = s.sim.get("/v2/manage/namespaces" + query, s.token);
    REQUIRE(res->status == 200);
    std::vector<std::string> out;
    // The document outlives the loop: a range over a temporary's member would not.
    const rapidjson::Document doc = parse_json(res->body);
    for (const auto& ns : doc["namespaces"].GetArray()) out.push_back(str(ns["name"]));
    return out;
  };
  CHECK(names("?namespace=team-a") == std::vector<std::string>{"team-a"});
  CHECK(names("?namespace=a") == std::vector<std::string>{"platform", "team-a"});  // fuzzy
  CHECK(names("?namespace=a") == names("?filter=namespace%3A%3Aa"));
  CHECK(names("?namespace=nobody").empty());
  const std::pair<const char*, const char*> bad[] = {
      {"?namespace=team-a&filter=mode%3A%3Avisible",
       "query parameter 'namespace' cannot be combined with filter: send the conditions either in "
       "filter or as query parameters"},
      {"?namespace=", "invalid query: 'namespace' is empty"},
      {"?name=team-a", "unsupported query parameter 'name'"},
  };
  for (const auto& [query, message] : bad) {
    const char* sent = query;  // clang 14 captures no binding
    CAPTURE(sent);
    const auto res = s.sim.get(std::string("/v2/manage/namespaces") + query, s.token);
    CHECK(res->status == 400);
    CHECK(str(parse_json(res->body)["error_msg"]) == message);
  }
}
