#include "sim_test_support.h"

using namespace swr::sim;
using namespace swr::sim::test;

namespace {

constexpr const char* kAk = "SIMACCESSKEY0000";
constexpr const char* kSk = "sim-secret-key";

SignedGet jobs_request(const std::string& repo = "tools$builder") {
  return {
      "/v2/manage/namespaces/team-a/repos/" + repo + "/sync_job",
      {{"filter", "limit::100|offset::0|order::desc"}},
      {{"Content-Type", "application/json"}, {"X-Project-Id", "0b5c1f0e3d0e4f3c9d6c8e2a7b1f4e5d"}}};
}

std::string error_code(const httplib::Result& res) {
  return parse_json(res->body)["error_code"].GetString();
}

}  // namespace

TEST_CASE("AK/SK: a correctly signed request passes, a wrong signature is APIG.0301") {
  FakeClock clock{FakeClock::real_now()};
  RunningSim sim({}, clock.sim_clock());
  const SignedGet req = jobs_request();

  const auto ok = req.send(sim, kAk, kSk, clock.seconds());
  REQUIRE(ok);
  CHECK(ok->status == 200);
  CHECK(ok->get_header_value("Content-Range") == "0-40/40");

  const auto bad = req.send(sim, kAk, "wrong-secret", clock.seconds());
  REQUIRE(bad);
  CHECK(bad->status == 401);
  const auto doc = parse_json(bad->body);
  CHECK(std::string(doc["error_code"].GetString()) == "APIG.0301");
  CHECK(std::string(doc["error_msg"].GetString()).find("verify aksk signature fail") !=
        std::string::npos);
  CHECK(std::string(doc["request_id"].GetString()) == bad->get_header_value("X-Request-Id"));

  SUBCASE("a security token must be signed") {
    SignedGet temp = req;
    temp.headers.emplace_back("X-Security-Token", "anything");
    CHECK(temp.send(sim, kAk, kSk, clock.seconds())->status == 200);
    auto c = sim.client();
    swr::huaweicloud::SignableRequest signable{"GET", req.path, req.query, req.headers, ""};
    signable.headers.emplace_back("Host", sim.host_header());
    signable.headers.emplace_back("X-Sdk-Date", swr::format_sdk_date(clock.seconds()));
    httplib::Headers wire(signable.headers.begin(), signable.headers.end());
    wire.emplace("Authorization", swr::huaweicloud::authorization_header(kAk, kSk, signable));
    wire.emplace("X-Security-Token", "unsigned");
    const std::string target = job_target("team-a", "tools%24builder", 100, 0, "desc");
    CHECK(c.Get(target, wire)->status == 401);
  }
  SUBCASE("X-Sdk-Date more than 15 minutes off") {
    CHECK(req.send(sim, kAk, kSk, clock.seconds() - 16 * 60)->status == 401);
    CHECK(req.send(sim, kAk, kSk, clock.seconds() + 16 * 60)->status == 401);
    CHECK(req.send(sim, kAk, kSk, clock.seconds() - 14 * 60)->status == 200);
  }
  SUBCASE("an unknown access key") {
    CHECK(error_code(req.send(sim, "OTHERKEY", kSk, clock.seconds())) == "APIG.0301");
  }
  SUBCASE("a signature that is not the right one") {
    const auto res = req.send(sim, kAk, kSk, clock.seconds(), std::string(64, '0'));
    CHECK(res->status == 401);
  }
  SUBCASE("X-Project-Id of another project is 403") {
    SignedGet other = req;
    other.headers[1].second = "ffffffffffffffffffffffffffffffff";
    const auto res = other.send(sim, kAk, kSk, clock.seconds());
    CHECK(res->status == 403);
    CHECK(error_code(res) == "SVCSTG.SWR.4030000");
  }
}

TEST_CASE("AK/SK: five failures in a row lock the key for five minutes") {
  FakeClock clock{FakeClock::real_now()};
  RunningSim sim({}, clock.sim_clock());
  const SignedGet req = jobs_request();
  for (int i = 0; i < 4; ++i) CHECK(req.send(sim, kAk, "bad", clock.seconds())->status == 401);
  // A success in between resets the count.
  CHECK(req.send(sim, kAk, kSk, clock.seconds())->status == 200);
  for (int i = 0; i < 5; ++i) CHECK(req.send(sim, kAk, "bad", clock.seconds())->status == 401);

  const auto locked = req.send(sim, kAk, kSk, clock.seconds());
  CHECK(locked->status == 401);
  CHECK(error_code(locked) == "APIG.0301");
  CHECK(std::string(parse_json(locked->body)["error_msg"].GetString()).find("locked") !=
        std::string::npos);
  auto stats = sim.stats();
  CHECK(stats["locked_keys"].GetUint64() == 1);
  CHECK(stats["lockouts"].GetUint64() == 1);
  CHECK(stats["auth_failures"].GetUint64() == 10);

  clock.advance(std::chrono::seconds(4 * 60));
  CHECK(req.send(sim, kAk, kSk, clock.seconds())->status == 401);
  clock.advance(std::chrono::seconds(61));
  CHECK(req.send(sim, kAk, kSk, clock.seconds())->status == 200);
  CHECK(sim.stats()["locked_keys"].GetUint64() == 0);
}

TEST_CASE("SWR without credentials is 401 SVCSTG.SWR.4010000") {
  RunningSim sim;
  const auto res =
      sim.client().Get(job_target("team-a", "app1", 10, 0), {{"Content-Type", "application/json"}});
  CHECK(res->status == 401);
  CHECK(error_code(res) == "SVCSTG.SWR.4010000");
  CHECK(res->has_header("X-Request-Id"));
  CHECK(sim.get(job_target("team-a", "app1", 10, 0), "MIInot-a-token")->status == 401);
}
