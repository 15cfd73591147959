#include <chrono>

#include "sim_test_support.h"

using namespace swr::sim;
using namespace swr::sim::test;

namespace {

FaultSpec fault(const std::string& repo, FaultKind kind, std::int64_t count = 0) {
  FaultSpec f;
  f.organization = "team-a";
  f.repository = repo;
  f.kind = kind;
  f.count = count;
  return f;
}

std::string in_path(std::string repo) {
  for (char& c : repo) {
    if (c == '/') c = '$';
  }
  return repo;
}

struct FaultySim {
  RunningSim sim;
  std::string token;
  explicit FaultySim(std::vector<FaultSpec> faults) : sim(config(std::move(faults))) {
    token = sim.token();
  }
  static SimConfig config(std::vector<FaultSpec> faults) {
    SimConfig c;
    c.organizations = 1;
    c.repositories = 12;
    c.jobs = 30;
    c.faults = std::move(faults);
    return c;
  }
  httplib::Result jobs(const std::string& repo, std::size_t limit = 10, std::size_t offset = 0) {
    return sim.get(job_target("team-a", in_path(repo), limit, offset), token);
  }
};

std::string error_code(const httplib::Result& res) {
  return parse_json(res->body)["error_code"].GetString();
}

}  // namespace

TEST_CASE("fault server_error: 500 for `count` requests, then normal") {
  FaultySim s({fault("app1", FaultKind::kServerError, 2)});
  for (int i = 0; i < 2; ++i) {
    const auto res = s.jobs("app1");
    CHECK(res->status == 500);
    CHECK(error_code(res) == "SVCSTG.SWR.5000000");
    CHECK(parse_json(res->body)["errors"].IsArray());
  }
  CHECK(s.jobs("app1")->status == 200);
  CHECK(s.jobs("tools/builder")->status == 200);
  const auto stats = s.sim.stats();
  CHECK(stats["faults"][0]["hits"].GetInt64() == 2);
}

TEST_CASE("fault bad_gateway, not_found, server_error with count 0 hit every request") {
  FaultySim s({fault("app1", FaultKind::kBadGateway), fault("api-gateway", FaultKind::kNotFound),
               fault("base/alpine", FaultKind::kServerError)});
  for (int i = 0; i < 3; ++i) {
    const auto bad = s.jobs("app1");
    CHECK(bad->status == 502);
    CHECK(error_code(bad).starts_with("APIG."));
    const auto missing = s.jobs("api-gateway");
    CHECK(missing->status == 404);
    CHECK(error_code(missing).starts_with("SVCSTG.SWR.4040"));
    CHECK(s.jobs("base/alpine")->status == 500);
  }
}

TEST_CASE("fault throttle: 429 APIG.0308 with Retry-After in whole seconds") {
  FaultSpec f = fault("app1", FaultKind::kThrottle, 1);
  f.retry_after_ms = 1500;
  FaultySim s({f});
  const auto res = s.jobs("app1");
  CHECK(res->status == 429);
  CHECK(res->get_header_value("Retry-After") == "2");
  const auto doc = parse_json(res->body);
  CHECK(std::string(doc["error_code"].GetString()) == "APIG.0308");
  CHECK(std::string(doc["error_msg"].GetString()) ==
        "The throttling threshold has been reached: policy user over ratelimit,limit:100,time:1 "
        "minute");
  CHECK(std::string(doc["request_id"].GetString()) == res->get_header_value("X-Request-Id"));
  CHECK(s.jobs("app1")->status == 200);
}

TEST_CASE("fault slow: waits `delay` and then answers") {
  FaultSpec f = fault("app1", FaultKind::kSlow, 1);
  f.delay_ms = 100;
  FaultySim s({f});
  const auto start = std::chrono::steady_clock::now();
  CHECK(s.jobs("app1")->status == 200);
  CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(100));
}

TEST_CASE("fault malformed_json: 200 with half a body") {
  FaultySim s({fault("app1", FaultKind::kMalformedJson, 1)});
  const auto res = s.jobs("app1");
  CHECK(res->status == 200);
  rapidjson::Document doc;
  doc.Parse(res->body.c_str(), res->body.size());
  CHECK(doc.HasParseError());
  CHECK(res->has_header("Content-Range"));
  CHECK_FALSE(parse_json(s.jobs("app1")->body).HasParseError());
}

TEST_CASE("fault lying_content_range, each mode") {
  auto lie = [](const std::string& repo, RangeLie mode) {
    FaultSpec f = fault(repo, FaultKind::kLyingContentRange);
    f.mode = mode;
    return f;
  };
  FaultySim s({lie("app1", RangeLie::kTotalTooSmall),
               lie("tools/builder", RangeLie::kTotalTooLarge),
               lie("api-gateway", RangeLie::kGarbage), lie("base/alpine", RangeLie::kMissing)});
  CHECK(s.jobs("app1", 10, 10)->get_header_value("Content-Range") == "10-10/20");
  CHECK(s.jobs("tools/builder", 10, 0)->get_header_value("Content-Range") == "0-10/1300");
  CHECK(s.jobs("api-gateway")->get_header_value("Content-Range") == "bytes */*");
  const auto missing = s.jobs("base/alpine");
  CHECK(missing->status == 200);
  CHECK_FALSE(missing->has_header("Content-Range"));
  CHECK(parse_json(missing->body).Size() == 10);
  CHECK(s.jobs("web-frontend")->get_header_value("Content-Range") == "0-10/30");
}

TEST_CASE("fault token_expiry: after `after` requests every token dies until a new one") {
  FaultSpec f = fault("app1", FaultKind::kTokenExpiry, 1);
  f.after = 2;
  FaultySim s({f});
  CHECK(s.jobs("app1")->status == 200);
  CHECK(s.jobs("app1")->status == 200);
  const auto expired = s.jobs("app1");
  CHECK(expired->status == 401);
  CHECK(error_code(expired) == "SVCSTG.SWR.4010000");
  CHECK(s.jobs("tools/builder")->status == 401);  // the token, not the repository, died
  s.token = s.sim.token();
  for (int i = 0; i < 4; ++i) CHECK(s.jobs("app1")->status == 200);
}

TEST_CASE("faults combine: slow then server_error") {
  FaultSpec slow = fault("app1", FaultKind::kSlow, 1);
  slow.delay_ms = 10;
  FaultySim s({slow, fault("app1", FaultKind::kServerError, 1)});
  CHECK(s.jobs("app1")->status == 500);
  CHECK(s.jobs("app1")->status == 200);
}
