// JSON goes out gzip-compressed to a client that lists gzip in Accept-Encoding, as API gateways
// do; cpp-httplib's client decodes it, so a body read whole and parsed proves the length too.
#include <doctest/doctest.h>

#include "sim_test_support.h"

using namespace swr::sim::test;

namespace {

std::string error_code(const httplib::Result& res) {
  const rapidjson::Document doc = parse_json(res->body);
  return doc.IsObject() && doc.HasMember("error_code") && doc["error_code"].IsString()
             ? doc["error_code"].GetString()
             : "";
}

}  // namespace

TEST_CASE("JSON answers are gzip-compressed when asked, and only then") {
  RunningSim sim;
  const std::string target = job_target("team-a", "app1", 10, 0);
  const auto asked = sim.client().Get(
      target, {{"Content-Type", "application/json"}, {"Accept-Encoding", "deflate, gzip, br"}});
  REQUIRE(asked);
  CHECK(asked->status == 401);
  CHECK(asked->get_header_value("Content-Encoding") == "gzip");
  CHECK(asked->get_header_value("Vary") == "Accept-Encoding");
  CHECK(error_code(asked) == "SVCSTG.SWR.4010000");  // decoded whole

  const auto plain = sim.client().Get(target, {{"Content-Type", "application/json"}});
  REQUIRE(plain);
  CHECK_FALSE(plain->has_header("Content-Encoding"));
  CHECK(error_code(plain) == "SVCSTG.SWR.4010000");
  CHECK(plain->body == asked->body);

  const auto refused = sim.client().Get(
      target, {{"Content-Type", "application/json"}, {"Accept-Encoding", "gzip;q=0"}});
  REQUIRE(refused);
  CHECK_FALSE(refused->has_header("Content-Encoding"));
}
