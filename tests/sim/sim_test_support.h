// An in-process simulator on port 0 and the requests the tests make against it.
#pragma once

#include <doctest/doctest.h>
#include <httplib.h>
#include <rapidjson/document.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "fake_clock.h"
#include "huaweicloud/signer.h"
#include "model/timestamp.h"
#include "sim_server.h"

namespace swr::sim::test {

// Starts at the real time in the simulator tests, so X-Sdk-Date values look normal.
using swr::test::FakeClock;

inline const std::string kToken = "/v3/auth/tokens";

inline std::string password_body(const std::string& password = "sim-password",
                                 const std::string& project = "cn-north-4") {
  return R"({"auth":{"identity":{"methods":["password"],"password":{"user":{"domain":{"name":"sim-domain"},"name":"sim-user","password":")" +
         password + R"("}}},"scope":{"project":{"name":")" + project + R"("}}}})";
}

inline rapidjson::Document parse_json(const std::string& text) {
  rapidjson::Document doc;
  doc.Parse(text.c_str(), text.size());
  REQUIRE_FALSE(doc.HasParseError());
  return doc;
}

// Writes a temporary file removed when the object goes.
struct TempFile {
  std::filesystem::path path;
  explicit TempFile(const std::string& content, const std::string& suffix = ".json") {
    static std::atomic<int> counter{0};
    path = std::filesystem::temp_directory_path() / ("swr-sim-test-" + std::to_string(::getpid()) +
                                                     "-" + std::to_string(counter++) + suffix);
    std::ofstream(path, std::ios::binary) << content;
  }
  ~TempFile() { std::filesystem::remove(path); }
};

class RunningSim {
 public:
  explicit RunningSim(SimConfig config = {}, Clock clock = system_now_us)
      : server_(std::move(config), std::move(clock)) {
    port_ = server_.start();
  }

  int port() const { return port_; }
  SimServer& server() { return server_; }
  std::string host_header() const { return "127.0.0.1:" + std::to_string(port_); }

  httplib::Client client() const {
    httplib::Client c("127.0.0.1", port_);
    c.set_connection_timeout(2);
    c.set_read_timeout(5);
    return c;
  }

  httplib::Result issue(const std::string& body = password_body(),
                        const std::string& query = "?nocatalog=true") {
    return client().Post(kToken + query, body, "application/json;charset=utf8");
  }

  std::string token() {
    const auto res = issue();
    REQUIRE(res);
    REQUIRE(res->status == 201);
    return res->get_header_value("X-Subject-Token");
  }

  // GET with a token and the JSON content type the API wants.
  httplib::Result get(const std::string& target, const std::string& token) {
    return client().Get(target, {{"X-Auth-Token", token}, {"Content-Type", "application/json"}});
  }

  rapidjson::Document stats() {
    const auto res = client().Get("/_sim/stats");
    REQUIRE(res);
    REQUIRE(res->status == 200);
    return parse_json(res->body);
  }

 private:
  SimServer server_;
  int port_ = 0;
};

// `filter=limit%3A%3AL%7Coffset%3A%3AO[%7Corder%3A%3AX]`, as the exporter sends it.
inline std::string job_target(const std::string& org, const std::string& repo_in_path,
                              std::size_t limit, std::size_t offset,
                              const std::string& order = "") {
  std::string filter = "limit::" + std::to_string(limit) + "|offset::" + std::to_string(offset);
  if (!order.empty()) filter += "|order::" + order;
  return "/v2/manage/namespaces/" + org + "/repos/" + repo_in_path +
         "/sync_job?filter=" + huaweicloud::percent_encode(filter);
}

// An AK/SK-signed GET: `path` and `query` decoded, the target encoded the way the signer does.
struct SignedGet {
  std::string path;
  huaweicloud::KeyValues query;
  huaweicloud::KeyValues headers;

  httplib::Result send(RunningSim& sim, const std::string& access_key,
                       const std::string& secret_key, std::int64_t unix_seconds,
                       const std::string& signature_override = "") const {
    huaweicloud::SignableRequest req{"GET", path, query, headers, ""};
    req.headers.emplace_back("Host", sim.host_header());
    req.headers.emplace_back("X-Sdk-Date", format_sdk_date(unix_seconds));
    std::string authorization = huaweicloud::authorization_header(access_key, secret_key, req);
    if (!signature_override.empty()) {
      authorization = authorization.substr(0, authorization.rfind('=') + 1) + signature_override;
    }
    std::string target = huaweicloud::canonical_uri(path);
    target.pop_back();  // signed with the trailing slash, sent without it
    if (!query.empty()) target += "?" + huaweicloud::canonical_query(query);
    httplib::Headers wire;
    for (const auto& [k, v] : req.headers) wire.emplace(k, v);
    wire.emplace("Authorization", authorization);
    return sim.client().Get(target, wire);
  }
};

}  // namespace swr::sim::test
