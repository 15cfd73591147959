#include <set>

#include "sim_test_support.h"

using namespace swr::sim;
using namespace swr::sim::test;

namespace {

const char* kDataWorld = R"({
  "organizations": ["empty-org"],
  "repositories": [
    {"organization": "team-a", "repository": "team/app2",
     "destinations": [{"remoteRegionId": "cn-east-3", "remoteNamespace": "team-a-mirror",
                       "override": true}],
     "jobs": [
       {"id": 7, "createdAt": "2020-03-12T08:11:36.518144Z", "updatedAt": "2020-03-12T08:12:06Z",
        "tag": "v1 \"quoted\" \\ back\nslash", "status": "success"},
       {"id": 9, "createdAt": "2020-03-12T09:00:00+08:00", "tag": "标签-ü",
        "remoteRegionId": "af-south-1", "remoteNamespace": "x", "status": "paused"},
       {"createdAt": "2020-03-13T00:00:00Z", "status": "waiting"}
     ]},
    {"organization": "team-ab", "repository": "solo"}
  ]
})";

SimConfig data_config(const TempFile& file) {
  SimConfig c;
  c.data = file.path.string();
  return c;
}

}  // namespace

TEST_CASE("a data-file world is served exactly as written") {
  TempFile file(kDataWorld);
  RunningSim sim(data_config(file));
  const std::string token = sim.token();
  const auto res = sim.get(job_target("team-a", "team%24app2", 100, 0), token);
  REQUIRE(res->status == 200);
  CHECK(res->get_header_value("Content-Range") == "0-3/3");
  const auto doc = parse_json(res->body);
  REQUIRE(doc.Size() == 3);
  // Ordered by creation: 09:00+08:00 is 01:00Z, before 08:11Z.
  CHECK(doc[0]["id"].GetInt64() == 9);
  CHECK(std::string(doc[0]["createdAt"].GetString()) == "2020-03-12T09:00:00+08:00");
  CHECK(std::string(doc[0]["updatedAt"].GetString()) == "2020-03-12T09:00:00+08:00");
  CHECK(std::string(doc[0]["tag"].GetString()) == "标签-ü");
  CHECK(std::string(doc[0]["status"].GetString()) == "paused");
  CHECK(std::string(doc[0]["remoteRegionId"].GetString()) == "af-south-1");
  CHECK(doc[1]["id"].GetInt64() == 7);
  CHECK(std::string(doc[1]["tag"].GetString()) == "v1 \"quoted\" \\ back\nslash");
  CHECK(std::string(doc[1]["updatedAt"].GetString()) == "2020-03-12T08:12:06Z");
  CHECK(std::string(doc[1]["remoteNamespace"].GetString()) == "team-a-mirror");  // default
  CHECK(doc[1]["override"].GetBool() == false);
  CHECK(doc[2]["id"].GetInt64() == 10);  // after the largest given id
  CHECK(std::string(doc[2]["tag"].GetString()) == "latest");
  CHECK(std::string(doc[2]["status"].GetString()) == "waiting");
  CHECK(std::string(doc[2]["repoName"].GetString()) == "team/app2");
  CHECK(std::string(doc[2]["domainName"].GetString()) == "sim-domain");
  CHECK(std::string(doc[2]["syncOperatorName"].GetString()) == "sim-user");

  SUBCASE("sync rules") {
    const auto rules =
        parse_json(sim.get("/v2/manage/namespaces/team-a/repos/team$app2/sync_repo", token)->body);
    REQUIRE(rules.Size() == 1);
    CHECK(std::string(rules[0]["remoteNamespace"].GetString()) == "team-a-mirror");
    CHECK(rules[0]["override"].GetBool());
    CHECK(rules[0]["syncAuto"].GetBool());
    CHECK(sim.get("/v2/manage/namespaces/team-ab/repos/solo/sync_repo", token)->body == "[]");
    CHECK(sim.get("/v2/manage/namespaces/team-ab/repos/none/sync_repo", token)->status == 404);
  }
  SUBCASE("organizations") {
    const auto all = parse_json(sim.get("/v2/manage/namespaces", token)->body);
    std::set<std::string> names;
    for (const auto& ns : all["namespaces"].GetArray()) {
      names.insert(ns["name"].GetString());
      CHECK(ns["id"].IsInt64());
      CHECK(ns["auth"].GetInt() == 7);
      CHECK(ns["creator_name"].IsString());
    }
    CHECK(names == std::set<std::string>{"empty-org", "team-a", "team-ab"});
    const auto some = parse_json(
        sim.get("/v2/manage/namespaces?filter=namespace%3A%3Ateam-a%7Cmode%3A%3Avisible", token)
            ->body);
    CHECK(some["namespaces"].Size() == 2);  // fuzzy: team-a and team-ab
    CHECK(sim.get("/v2/manage/namespaces?filter=mode%3A%3Aall", token)->status == 400);
  }
  SUBCASE("repositories: fuzzy namespace filter, paging, total_range") {
    const auto res = sim.get(
        "/v2/manage/repos?filter=namespace%3A%3Ateam-a%7Climit%3A%3A1%7Coffset%3A%3A0", token);
    REQUIRE(res->status == 200);
    CHECK(res->get_header_value("Content-Range") == "0-1/2");
    const auto page = parse_json(res->body);
    REQUIRE(page.Size() == 1);
    CHECK(std::string(page[0]["namespace"].GetString()) == "team-a");
    CHECK(std::string(page[0]["name"].GetString()) == "team/app2");
    CHECK(page[0]["total_range"].GetInt64() == 2);
    CHECK(page[0]["num_images"].GetInt64() == 3);
    CHECK(page[0]["tags"].Size() == 3);
    CHECK(page[0]["created_at"].IsString());
    CHECK(page[0]["updated_at"].IsString());
    const auto next = parse_json(
        sim.get("/v2/manage/repos?filter=namespace%3A%3Ateam-a%7Climit%3A%3A1%7Coffset%3A%3A1",
                token)
            ->body);
    CHECK(std::string(next[0]["namespace"].GetString()) == "team-ab");
    CHECK(sim.get("/v2/manage/repos?filter=limit%3A%3A1001", token)->status == 400);
    CHECK(sim.get("/v2/manage/repos?filter=limit%3A%3A10%7Coffset%3A%3A5", token)->status == 400);
    CHECK(parse_json(sim.get("/v2/manage/repos", token)->body).Size() == 2);
  }
}

TEST_CASE("a bad data file is a ConfigError naming the element") {
  TempFile file(R"({"repositories":[{"organization":"a","repository":"b","jobs":[{"id":"x"}]}]})");
  CHECK_THROWS_WITH_AS(SimServer(data_config(file)),
                       doctest::Contains("repositories[0].jobs[0].id"), ConfigError);
  TempFile broken("{");
  CHECK_THROWS_AS(SimServer(data_config(broken)), ConfigError);
  SimConfig missing;
  missing.data = "/nonexistent/world.json";
  CHECK_THROWS_AS(SimServer{missing}, ConfigError);
}

TEST_CASE("the generated world is deterministic for a seed and realistic") {
  const Identity id = identity_for(Credentials{});
  GenerationParams p;
  p.seed = 7;
  p.organizations = 3;
  p.repositories = 4;
  p.jobs = 50;
  const WorldData a = generate_world(p, id, 1700000000000000);
  const WorldData b = generate_world(p, id, 1700000000000000);
  REQUIRE(a.repositories.size() == 12);
  std::set<std::int64_t> ids;
  std::size_t with_rules = 0, with_slash = 0;
  for (const auto& [ref, repo] : a.repositories) {
    const SimRepository& other = b.repositories.at(ref);
    REQUIRE(repo.jobs.size() == 50);
    with_rules += repo.rules.empty() ? 0 : 1;
    with_slash += ref.repository.find('/') != std::string::npos ? 1 : 0;
    CHECK(!repo.destinations.empty());
    CHECK(repo.destinations.size() <= 3);
    for (std::size_t i = 0; i < repo.jobs.size(); ++i) {
      const SimJob& j = repo.jobs[i];
      CHECK(j.id == other.jobs[i].id);
      CHECK(j.tag == other.jobs[i].tag);
      CHECK(j.status == other.jobs[i].status);
      CHECK(j.created_at == other.jobs[i].created_at);
      CHECK(ids.insert(j.id).second);
      CHECK(swr::is_final(swr::parse_sync_status(j.status)));
      const auto created = swr::parse_timestamp_us(j.created_at);
      const auto updated = swr::parse_timestamp_us(j.updated_at);
      REQUIRE(created);
      REQUIRE(updated);
      CHECK(*updated >= *created);
      CHECK(*updated <= 1700000000000000);
      if (i > 0) CHECK(j.id > repo.jobs[i - 1].id);  // ids grow with creation time
    }
  }
  CHECK(with_slash > 0);
  CHECK(with_rules > 0);
  CHECK(a.organizations.contains("team-a"));
  CHECK(a.repositories.contains({"team-a", "app1"}));

  p.seed = 8;
  const WorldData c = generate_world(p, id, 1700000000000000);
  const SimJob& first_a = a.repositories.begin()->second.jobs.front();
  const SimJob& first_c = c.repositories.begin()->second.jobs.front();
  const bool differs = first_a.tag != first_c.tag || first_a.id != first_c.id ||
                       first_a.created_at != first_c.created_at;
  CHECK(differs);
}

TEST_CASE("churn: waiting jobs start, running ones finish, new ones arrive") {
  const Identity id = identity_for(Credentials{});
  GenerationParams p;
  p.organizations = 2;
  p.repositories = 10;
  p.jobs = 5;
  p.churning = true;
  World world(generate_world(p, id, 1700000000000000), id);
  auto count = [&](std::string_view status) {
    std::size_t n = 0;
    RepositoryQuery all;
    all.limit = 1000;
    for (const auto& r : world.list_repositories(all).items) {
      const auto page = world.page({r.organization, r.name}, 0, 1000, false);
      for (const SimJob& j : page.jobs) n += j.status == status ? 1 : 0;
    }
    return n;
  };
  const std::size_t before = world.job_count();
  CHECK(count("waiting") + count("running") > 0);
  std::mt19937_64 rng(1);
  for (int i = 0; i < 60; ++i) world.churn(rng, 1700000000000000 + (i + 1) * 1000000LL);
  CHECK(world.job_count() > before);
  CHECK(count("success") > 0);
}

TEST_CASE("admin endpoints: add jobs, delete a repository, stats, reset") {
  FakeClock clock{FakeClock::real_now()};
  RunningSim sim({}, clock.sim_clock());
  auto c = sim.client();
  const auto added = c.Post("/_sim/jobs",
                            R"({"organization":"new-org","repository":"ns/fresh","jobs":[
        {"tag":"v2","status":"failed","remoteRegionId":"la-south-2","remoteNamespace":"m","duration_seconds":90},
        {"tag":"v3","status":"running"}]})",
                            "application/json");
  REQUIRE(added->status == 200);
  const auto added_doc = parse_json(added->body);
  const auto ids = added_doc["ids"].GetArray();
  REQUIRE(ids.Size() == 2);
  CHECK(ids[1].GetInt64() == ids[0].GetInt64() + 1);

  const std::string token = sim.token();
  const auto jobs = parse_json(sim.get(job_target("new-org", "ns$fresh", 10, 0), token)->body);
  REQUIRE(jobs.Size() == 2);
  CHECK(std::string(jobs[0]["status"].GetString()) == "failed");
  CHECK(std::string(jobs[0]["remoteRegionId"].GetString()) == "la-south-2");
  const auto created = swr::parse_timestamp_us(jobs[0]["createdAt"].GetString());
  const auto updated = swr::parse_timestamp_us(jobs[0]["updatedAt"].GetString());
  CHECK(*updated - *created == 90000000);
  CHECK(*updated == clock.micros());

  auto stats = sim.stats();
  CHECK(stats["requests"]["sync_job"].GetUint64() == 1);
  CHECK(stats["requests"]["token"].GetUint64() == 1);
  CHECK(stats["by_repository"]["new-org/ns/fresh"].GetUint64() == 1);
  CHECK(stats["jobs"].GetUint64() == 402);

  CHECK(c.Post("/_sim/delete-repository", R"({"organization":"new-org","repository":"ns/fresh"})",
               "application/json")
            ->status == 200);
  CHECK(c.Post("/_sim/delete-repository", R"({"organization":"new-org","repository":"ns/fresh"})",
               "application/json")
            ->status == 404);
  CHECK(sim.get(job_target("new-org", "ns$fresh", 10, 0), token)->status == 404);
  CHECK(c.Post("/_sim/jobs", R"({"organization":"x"})", "application/json")->status == 400);

  CHECK(c.Post("/_sim/churn", "", "application/json")->status == 200);
  CHECK(c.Post("/_sim/unlock-keys", "", "application/json")->status == 200);
  CHECK(c.Post("/_sim/reset-stats", "", "application/json")->status == 200);
  stats = sim.stats();
  CHECK(stats["requests"]["sync_job"].GetUint64() == 0);
  CHECK(stats["by_repository"].ObjectEmpty());
  CHECK(stats["auth_failures"].GetUint64() == 0);
  CHECK(stats["jobs"].GetUint64() >= 400);  // churn may have added some
}
