#include <set>

#include "sim_test_support.h"

using namespace swr::sim;
using namespace swr::sim::test;

namespace {

// team-a/team/app2 with `n` jobs, ids 101.. created a minute apart.
std::string world_with_jobs(int n) {
  std::string jobs;
  for (int i = 0; i < n; ++i) {
    if (i) jobs += ",";
    const std::string ts =
        "2024-05-01T10:" + std::string(i < 10 ? "0" : "") + std::to_string(i) + ":00.000000Z";
    jobs += R"({"id":)" + std::to_string(101 + i) + R"(,"createdAt":")" + ts +
            R"(","updatedAt":")" + ts + R"(","tag":"v)" + std::to_string(i) +
            R"(","remoteRegionId":"cn-east-3","remoteNamespace":"team-a","status":"success"})";
  }
  return R"({"repositories":[{"organization":"team-a","repository":"team/app2","jobs":[)" + jobs +
         "]}]}";
}

std::string error_code(const httplib::Result& res) {
  return parse_json(res->body)["error_code"].GetString();
}

}  // namespace

TEST_CASE("sync_job: paging with Content-Range returns every job once, newest first") {
  TempFile data(world_with_jobs(25));
  SimConfig config;
  config.data = data.path.string();
  RunningSim sim(config);
  const std::string token = sim.token();

  std::vector<std::int64_t> ids;
  std::size_t offset = 0;
  for (int page = 0; page < 10; ++page) {
    const auto res = sim.get(job_target("team-a", "team%24app2", 10, offset, "desc"), token);
    REQUIRE(res);
    REQUIRE(res->status == 200);
    const auto doc = parse_json(res->body);
    REQUIRE(doc.IsArray());
    const std::size_t count = doc.Size();
    CHECK(res->get_header_value("Content-Range") ==
          std::to_string(offset) + "-" + std::to_string(count) + "/25");
    for (const auto& job : doc.GetArray()) ids.push_back(job["id"].GetInt64());
    offset += count;
    if (count < 10) break;
  }
  REQUIRE(ids.size() == 25);
  for (std::size_t i = 0; i < ids.size(); ++i) CHECK(ids[i] == 125 - static_cast<int>(i));

  SUBCASE("ascending by creation by default") {
    const auto doc = parse_json(sim.get(job_target("team-a", "team$app2", 3, 0), token)->body);
    CHECK(doc[0]["id"].GetInt64() == 101);
    CHECK(doc[2]["id"].GetInt64() == 103);
  }
  SUBCASE("past the end: an empty page") {
    const auto res = sim.get(job_target("team-a", "team$app2", 10, 30), token);
    CHECK(res->status == 200);
    CHECK(res->body == "[]");
    CHECK(res->get_header_value("Content-Range") == "30-0/25");
  }
  SUBCASE("exactly the documented keys") {
    const auto doc = parse_json(sim.get(job_target("team-a", "team$app2", 1, 0), token)->body);
    std::set<std::string> keys;
    for (const auto& m : doc[0].GetObject()) keys.insert(m.name.GetString());
    CHECK(keys == std::set<std::string>{"id", "createdAt", "updatedAt", "namespace", "repoName",
                                        "tag", "remoteRegionId", "remoteNamespace", "status",
                                        "override", "domainID", "domainName", "syncOperatorId",
                                        "syncOperatorName"});
    CHECK(std::string(doc[0]["repoName"].GetString()) == "team/app2");
    CHECK(std::string(doc[0]["namespace"].GetString()) == "team-a");
  }
  CHECK(sim.stats()["by_repository"]["team-a/team/app2"].GetUint64() >= 3);
}

TEST_CASE("sync_job: the filter is parsed strictly") {
  RunningSim sim;
  const std::string token = sim.token();
  const std::string base = "/v2/manage/namespaces/team-a/repos/app1/sync_job";
  struct Case {
    const char* filter;
    const char* mentions;
  };
  const Case cases[] = {
      {"limit::10", "limit and offset"},
      {"offset::0", "limit and offset"},
      {"limit::10|offset::0|order::newest", "order"},
      {"limit::10|offset::0|page::2", "page"},
      {"limit::10|offset::0|limit::5", "twice"},
      {"limit::0|offset::0", "limit"},
      {"limit::1001|offset::0", "limit"},
      {"limit::-1|offset::0", "limit"},
      {"limit::ten|offset::0", "limit"},
      {"limit::10|offset::-5", "offset"},
      {"limit::10||offset::0", "empty"},
      {"limit::10|offset::0|", "empty"},
      {"limit:10|offset::0", "key::value"},
      {"limit::|offset::0", "empty"},
      {"", "empty"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.filter);
    const auto res = sim.get(base + "?filter=" + swr::huaweicloud::percent_encode(c.filter), token);
    REQUIRE(res);
    CHECK(res->status == 400);
    const auto doc = parse_json(res->body);
    CHECK(std::string(doc["error_code"].GetString()) == "SVCSTG.SWR.4000000");
    CHECK(std::string(doc["error_msg"].GetString()).find(c.mentions) != std::string::npos);
    CHECK(doc["errors"][0]["errorCode"] == doc["error_code"]);
    CHECK(doc["details"].IsArray());
  }
  CHECK(sim.get(base, token)->status == 400);
  CHECK(sim.get(base + "?filter=limit%3A%3A1%7Coffset%3A%3A0&x=1", token)->status == 400);
  CHECK(sim.get(base + "?filter=limit::1000|offset::0|order::asc", token)->status == 200);
  SUBCASE("Content-Type is required") {
    const auto res =
        sim.client().Get(job_target("team-a", "app1", 10, 0), {{"X-Auth-Token", token}});
    CHECK(res->status == 400);
    CHECK(error_code(res) == "SVCSTG.SWR.4000000");
  }
}

TEST_CASE("sync_job: unknown organizations and repositories are 404") {
  RunningSim sim;
  const std::string token = sim.token();
  const auto no_repo = sim.get(job_target("team-a", "nope", 10, 0), token);
  CHECK(no_repo->status == 404);
  CHECK(error_code(no_repo).starts_with("SVCSTG.SWR.4040"));
  const auto no_org = sim.get(job_target("nobody", "app1", 10, 0), token);
  CHECK(no_org->status == 404);
  CHECK(error_code(no_org) != error_code(no_repo));
  // `/` in a name must travel as `$`.
  CHECK(sim.get(job_target("team-a", "tools%2Fbuilder", 10, 0), token)->status == 404);
  CHECK(sim.get(job_target("team-a", "tools$builder", 10, 0), token)->status == 200);
  CHECK(sim.get(job_target("team-a", "tools%24builder", 10, 0), token)->status == 200);
  CHECK(sim.get("/v2/manage/nothing", token)->status == 404);
}

TEST_CASE("legacy_error_bodies: 400 and 404 in the top-level array shape") {
  SimConfig config;
  config.legacy_error_bodies = true;
  RunningSim sim(config);
  const std::string token = sim.token();
  const auto res = sim.get(job_target("team-a", "nope", 10, 0), token);
  CHECK(res->status == 404);
  const auto doc = parse_json(res->body);
  REQUIRE(doc.IsArray());
  CHECK(std::string(doc[0]["errorCode"].GetString()).starts_with("SVCSTG.SWR.4040"));
  CHECK(doc[0].HasMember("errorMessage"));
  CHECK(std::string(doc[0]["detail"].GetString()).empty());
  CHECK(parse_json(sim.get("/v2/manage/namespaces/team-a/repos/app1/sync_job", token)->body)
            .IsArray());
  // 401 keeps the current shape.
  CHECK(parse_json(sim.get(job_target("team-a", "app1", 1, 0), "bad")->body).IsObject());
}
