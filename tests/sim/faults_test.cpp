#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <set>

#include "sanitized_build.h"
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

namespace {

// A GET over a raw socket, read until the server closes: what a client sees on the wire when
// the server does not keep its word (cpp-httplib's client hides that behind an error code).
struct RawAnswer {
  std::string head;
  std::string body;
  bool closed = false;  // EOF within the time limit
};

RawAnswer raw_get(int port, const std::string& target, const std::string& token) {
  RawAnswer out;
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  const std::string request =
      "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
      "\r\nX-Auth-Token: " + token + "\r\nContent-Type: application/json\r\n\r\n";
  REQUIRE(::send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
          static_cast<ssize_t>(request.size()));
  std::string all;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    char buf[8192];
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) {
      out.closed = true;
      break;
    }
    all.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  const std::size_t end = all.find("\r\n\r\n");
  REQUIRE(end != std::string::npos);
  out.head = all.substr(0, end + 2);
  out.body = all.substr(end + 4);
  return out;
}

std::size_t content_length(const std::string& head) {
  const std::string name = "Content-Length: ";
  const std::size_t at = head.find(name);
  REQUIRE(at != std::string::npos);
  return std::stoul(head.substr(at + name.size()));
}

FaultSpec truncated(const std::string& repo, Truncation mode, std::int64_t count = 0) {
  FaultSpec f = fault(repo, FaultKind::kTruncatedBody, count);
  f.truncation = mode;
  return f;
}

// Peak resident memory of this process since the last reset (Linux 4.0 and later).
bool reset_peak_rss() {
  std::ofstream clear("/proc/self/clear_refs");
  clear << "5";
  clear.flush();
  return static_cast<bool>(clear);
}
long peak_rss_kib() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.starts_with("VmHWM:")) return std::stol(line.substr(6));
  }
  return -1;
}

}  // namespace

TEST_CASE("fault truncated_body short_read: the full Content-Length, half the body, then EOF") {
  FaultySim s({truncated("app1", Truncation::kShortRead, 1)});
  const RawAnswer cut = raw_get(s.sim.port(), job_target("team-a", "app1", 10, 0), s.token);
  CHECK(cut.head.starts_with("HTTP/1.1 200 "));
  CHECK(cut.closed);
  const std::size_t promised = content_length(cut.head);
  CHECK(promised > 100);
  CHECK(cut.body.size() == promised / 2);
  CHECK(cut.head.find("Content-Range: 0-10/30") != std::string::npos);
  // The whole answer, once the fault is spent, is exactly as long as promised before.
  const auto whole = s.jobs("app1");
  REQUIRE(whole);
  CHECK(whole->body.size() == promised);
  CHECK(whole->body.substr(0, cut.body.size()) == cut.body);
  CHECK(parse_json(whole->body).Size() == 10);
}

TEST_CASE("fault truncated_body short_read: cpp-httplib's client sees a read error") {
  FaultySim s({truncated("app1", Truncation::kShortRead)});
  for (int i = 0; i < 2; ++i) {
    const auto res = s.jobs("app1");
    CHECK_FALSE(res);
    CHECK(res.error() == httplib::Error::Read);
  }
  CHECK(s.jobs("tools/builder")->status == 200);
  CHECK(s.sim.stats()["faults"][0]["hits"].GetInt64() == 2);
}

TEST_CASE("fault truncated_body cut_json: a complete 200 whose body stops inside a job") {
  FaultySim s({truncated("app1", Truncation::kCutJson, 1)});
  const RawAnswer cut = raw_get(s.sim.port(), job_target("team-a", "app1", 10, 0), s.token);
  CHECK(cut.head.starts_with("HTTP/1.1 200 "));
  CHECK(content_length(cut.head) == cut.body.size());
  rapidjson::Document doc;
  doc.Parse(cut.body.c_str(), cut.body.size());
  CHECK(doc.HasParseError());
  const auto whole = s.jobs("app1");
  REQUIRE(whole);
  CHECK(whole->status == 200);
  CHECK(cut.body.size() == whole->body.size() * 2 / 3);
  CHECK(whole->body.starts_with(cut.body));
}

TEST_CASE("fault huge_body: a valid JSON array of about `bytes`, chunked") {
  FaultSpec f = fault("app1", FaultKind::kHugeBody, 1);
  f.bytes = 300000;
  FaultySim s({f});
  const auto res = s.jobs("app1");
  REQUIRE(res);
  CHECK(res->status == 200);
  CHECK(res->get_header_value("Transfer-Encoding") == "chunked");
  CHECK_FALSE(res->has_header("Content-Length"));
  CHECK(res->body.size() >= 300000);
  CHECK(res->body.size() < 300000 + 1000);
  const auto doc = parse_json(res->body);
  REQUIRE(doc.IsArray());
  CHECK(doc.Size() > 500);
  std::set<std::int64_t> ids;
  for (const auto& job : doc.GetArray()) {
    ids.insert(job["id"].GetInt64());
    CHECK(std::string(job["repoName"].GetString()) == "app1");
  }
  CHECK(ids.size() == doc.Size());
  CHECK(parse_json(s.jobs("app1")->body).Size() == 10);  // count 1: spent
}

TEST_CASE("fault huge_body: 50 MiB by default, made while it is sent, never held") {
  FaultySim s({fault("app1", FaultKind::kHugeBody, 1)});
  REQUIRE(s.sim.server().config().faults[0].bytes == 50LL * 1024 * 1024);
  const bool can_reset = reset_peak_rss();
  const long peak_before = peak_rss_kib();
  std::size_t received = 0;
  std::string head, tail;
  auto client = s.sim.client();
  const auto res = client.Get(job_target("team-a", "app1", 10, 0),
                              {{"X-Auth-Token", s.token}, {"Content-Type", "application/json"}},
                              [&](const char* data, std::size_t n) {
                                if (head.size() < 64)
                                  head.append(data, std::min<std::size_t>(n, 64));
                                tail.append(data, n);
                                if (tail.size() > 64) tail.erase(0, tail.size() - 64);
                                received += n;
                                return true;
                              });
  REQUIRE(res);
  CHECK(res->status == 200);
  CHECK(received >= 50u * 1024 * 1024);
  CHECK(received < 50u * 1024 * 1024 + 1000);
  CHECK(head.starts_with("[{\"id\":900000000,"));
  CHECK(tail.ends_with("\"}]"));
  // Sender and receiver share this process: neither kept the body (a copy would be 50 MiB).
  if (swr::test::kSanitizedBuild) {
    MESSAGE(swr::test::kMemoryNotChecked);
  } else {
    REQUIRE_MESSAGE(can_reset, "cannot reset the peak RSS (/proc/self/clear_refs)");
    CAPTURE(peak_before);
    CHECK(peak_rss_kib() - peak_before < 16 * 1024);
  }
}

TEST_CASE("faults of the new kinds read from TOML, with their modes and sizes") {
  SimConfig c;
  apply_toml(
      "[[faults]]\norganization = \"a\"\nrepository = \"b\"\nkind = \"truncated_body\"\n"
      "mode = \"cut_json\"\n"
      "[[faults]]\norganization = \"a\"\nrepository = \"c\"\nkind = \"truncated_body\"\n"
      "[[faults]]\norganization = \"a\"\nrepository = \"d\"\nkind = \"huge_body\"\n"
      "bytes = 1048576\n",
      "sim.toml", c);
  REQUIRE(c.faults.size() == 3);
  CHECK(c.faults[0].kind == FaultKind::kTruncatedBody);
  CHECK(c.faults[0].truncation == Truncation::kCutJson);
  CHECK(c.faults[1].truncation == Truncation::kShortRead);
  CHECK(c.faults[2].kind == FaultKind::kHugeBody);
  CHECK(c.faults[2].bytes == 1048576);
  CHECK(to_string(FaultKind::kTruncatedBody) == "truncated_body");
  CHECK(parse_fault_kind("huge_body") == FaultKind::kHugeBody);

  auto error = [](const std::string& body) {
    SimConfig bad;
    try {
      apply_toml("[[faults]]\norganization = \"a\"\nrepository = \"b\"\n" + body, "sim.toml", bad);
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK(error("kind = \"truncated_body\"\nmode = \"garbage\"").find("(short_read, cut_json)") !=
        std::string::npos);
  CHECK(error("kind = \"huge_body\"\nbytes = 1").find("faults[0].bytes") != std::string::npos);
  CHECK(error("kind = \"huge_body\"\nbytes = \"50MB\"").find("faults[0].bytes") !=
        std::string::npos);
  CHECK(error("kind = \"lying_content_range\"\nmode = \"short_read\"").find("faults[0].mode") !=
        std::string::npos);
}
