#include "sim_test_support.h"

using namespace swr::sim;
using namespace swr::sim::test;

TEST_CASE("IAM issues a large project-scoped token with 201") {
  FakeClock clock{FakeClock::real_now()};
  RunningSim sim({}, clock.sim_clock());
  const auto res = sim.issue();
  REQUIRE(res);
  CHECK(res->status == 201);
  const std::string token = res->get_header_value("X-Subject-Token");
  CHECK(token.starts_with("MII"));
  CHECK(token.size() >= 7900);
  CHECK(
      token.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
      std::string::npos);

  const auto doc = parse_json(res->body);
  const auto& t = doc["token"];
  const auto expires = swr::parse_timestamp_us(t["expires_at"].GetString());
  REQUIRE(expires);
  CHECK(*expires == clock.micros() + 24LL * 3600 * 1000000);
  CHECK(std::string(t["expires_at"].GetString()).size() == 27);  // 6 fractional digits + Z
  CHECK(std::string(t["methods"][0].GetString()) == "password");
  CHECK(std::string(t["project"]["name"].GetString()) == "cn-north-4");
  CHECK(std::string(t["project"]["id"].GetString()) == SimConfig{}.project_id);
  CHECK(std::string(t["user"]["name"].GetString()) == "sim-user");
  CHECK(std::string(t["user"]["domain"]["name"].GetString()) == "sim-domain");
  CHECK_FALSE(t.HasMember("catalog"));

  SUBCASE("with a catalog unless nocatalog=true") {
    const auto full = sim.issue(password_body(), "");
    REQUIRE(full);
    CHECK(full->status == 201);
    CHECK(parse_json(full->body)["token"]["catalog"].IsArray());
  }
  SUBCASE("the token works on SWR and dies with its lifetime") {
    const std::string target = job_target("team-a", "app1", 10, 0);
    CHECK(sim.get(target, token)->status == 200);
    clock.advance(std::chrono::seconds(24 * 3600));
    const auto expired = sim.get(target, token);
    CHECK(expired->status == 401);
    CHECK(std::string(parse_json(expired->body)["error_code"].GetString()) == "SVCSTG.SWR.4010000");
  }
  SUBCASE("validation: GET /v3/auth/tokens") {
    auto c = sim.client();
    const auto ok = c.Get(kToken, {{"X-Auth-Token", token}, {"X-Subject-Token", token}});
    CHECK(ok->status == 200);
    CHECK(std::string(parse_json(ok->body)["token"]["expires_at"].GetString()) ==
          t["expires_at"].GetString());
    const auto unknown = c.Get(kToken, {{"X-Auth-Token", token}, {"X-Subject-Token", "MIIxyz"}});
    CHECK(unknown->status == 404);
  }
}

TEST_CASE("IAM rejects wrong credentials with 401 and bad bodies with 400") {
  RunningSim sim;
  SUBCASE("wrong password") {
    const auto res = sim.issue(password_body("nope"));
    REQUIRE(res);
    CHECK(res->status == 401);
    CHECK(
        res->body ==
        R"({"error":{"code":401,"message":"The username or password is wrong.","title":"Unauthorized"}})");
    CHECK_FALSE(res->has_header("X-Subject-Token"));
  }
  SUBCASE("another region's project") {
    CHECK(sim.issue(password_body("sim-password", "cn-east-3"))->status == 401);
  }
  SUBCASE("not JSON") {
    const auto res = sim.issue("{\"auth\":");
    CHECK(res->status == 400);
    CHECK(parse_json(res->body)["error"]["code"].GetInt() == 400);
  }
  SUBCASE("no project scope") {
    const std::string body =
        R"({"auth":{"identity":{"methods":["password"],"password":{"user":{"domain":{"name":"sim-domain"},"name":"sim-user","password":"sim-password"}}}}})";
    CHECK(sim.issue(body)->status == 400);
  }
  SUBCASE("scope by project id") {
    const std::string body =
        R"({"auth":{"identity":{"methods":["password"],"password":{"user":{"domain":{"name":"sim-domain"},"name":"sim-user","password":"sim-password"}}},"scope":{"project":{"id":"0b5c1f0e3d0e4f3c9d6c8e2a7b1f4e5d"}}}})";
    CHECK(sim.issue(body)->status == 201);
  }
  SUBCASE("other methods") {
    std::string body = password_body();
    body.replace(body.find("[\"password\"]"), 12, "[\"password\",\"token\"]");
    CHECK(sim.issue(body)->status == 400);
  }
  SUBCASE("Content-Type must be JSON") {
    CHECK(sim.client().Post(kToken, password_body(), "text/plain")->status == 400);
  }
  const auto stats = sim.stats();
  CHECK(stats["requests"]["token"].GetUint64() >= 1);
}

TEST_CASE("revoking tokens makes SWR answer 401 until a new token is fetched") {
  RunningSim sim;
  const std::string token = sim.token();
  const std::string target = job_target("team-a", "app1", 5, 0);
  CHECK(sim.get(target, token)->status == 200);
  CHECK(sim.client().Post("/_sim/revoke-tokens", "", "application/json")->status == 200);
  CHECK(sim.get(target, token)->status == 401);
  CHECK(sim.get(target, sim.token())->status == 200);
  CHECK(sim.stats()["auth_failures"].GetUint64() == 1);
}
