// POST /_sim/outage: a whole-service outage, 503 or refused connections, over a fake clock.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <thread>

#include "sim_test_support.h"

using namespace swr::sim;
using namespace swr::sim::test;
using namespace std::chrono_literals;

namespace {

SimConfig small_world() {
  SimConfig c;
  c.organizations = 1;
  c.repositories = 3;
  c.jobs = 5;
  return c;
}

httplib::Result post_outage(RunningSim& sim, const std::string& body) {
  return sim.client().Post("/_sim/outage", body, "application/json");
}

// A connected socket to the simulator, or -1 with errno (ECONNREFUSED when nothing listens).
int connect_to(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    const int error = errno;
    ::close(fd);
    errno = error;
    return -1;
  }
  return fd;
}

// Polls `ok` for up to two seconds: the outage thread closes and reopens the port on its own.
template <typename Condition>
bool eventually(Condition ok) {
  for (int i = 0; i < 200; ++i) {
    if (ok()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return ok();
}

bool refused(int port) {
  const int fd = connect_to(port);
  if (fd >= 0) {
    ::close(fd);
    return false;
  }
  return errno == ECONNREFUSED;
}

// One request on an open socket; the whole answer (head and Content-Length bytes of body), or
// what came before the server closed it.
std::string exchange(int fd, const std::string& target) {
  const std::string request =
      "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\r\n";
  if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) < 0) return "";
  std::string answer;
  std::size_t complete = std::string::npos;
  while (answer.size() < complete) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 2000) <= 0) break;
    char buf[4096];
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    answer.append(buf, static_cast<std::size_t>(n));
    const std::size_t head_end = answer.find("\r\n\r\n");
    const std::size_t length = answer.find("Content-Length: ");
    if (head_end != std::string::npos && length != std::string::npos && length < head_end) {
      complete = head_end + 4 + std::stoul(answer.substr(length + 16));
    }
  }
  return answer;
}

}  // namespace

TEST_CASE("outage 503: every API call answered 503 in its service's shape until the time is up") {
  FakeClock clock{FakeClock::real_now()};
  RunningSim sim(small_world(), clock.sim_clock());
  const std::string token = sim.token();
  const std::string jobs = job_target("team-a", "app1", 5, 0);
  REQUIRE(sim.get(jobs, token)->status == 200);

  const auto started = post_outage(sim, R"({"seconds": 30, "kind": "503"})");
  REQUIRE(started);
  CHECK(started->status == 200);
  CHECK(parse_json(started->body)["outage"]["kind"].GetString() == std::string("503"));

  const auto swr = sim.get(jobs, token);
  REQUIRE(swr);
  CHECK(swr->status == 503);
  const auto body = parse_json(swr->body);
  CHECK(body["error_code"].GetString() == std::string("SVCSTG.SWR.5030000"));
  CHECK(body["errors"][0]["errorCode"].GetString() == std::string("SVCSTG.SWR.5030000"));
  CHECK_FALSE(swr->get_header_value("X-Request-Id").empty());
  const auto iam = sim.issue();
  REQUIRE(iam);
  CHECK(iam->status == 503);
  CHECK(parse_json(iam->body)["error"]["code"].GetInt() == 503);
  CHECK(sim.client().Put("/meta-data/latest/api/token", "", "text/plain")->status == 503);

  // The controls keep working, and count what the outage answered.
  auto stats = sim.stats();
  CHECK(stats["outage"]["kind"].GetString() == std::string("503"));
  CHECK(stats["outage"]["unavailable_answers"].GetUint64() == 3);
  CHECK(stats["outage"]["remaining_ms"].GetInt64() == 30000);

  clock.advance(std::chrono::seconds(29));
  CHECK(sim.get(jobs, token)->status == 503);
  clock.advance(std::chrono::seconds(1));
  CHECK(sim.get(jobs, token)->status == 200);
  CHECK(sim.stats()["outage"]["kind"].GetString() == std::string("none"));
}

TEST_CASE("outage 503: a second request replaces the first") {
  FakeClock clock{FakeClock::real_now()};
  RunningSim sim(small_world(), clock.sim_clock());
  const std::string token = sim.token();
  const std::string jobs = job_target("team-a", "app1", 5, 0);
  REQUIRE(post_outage(sim, R"({"seconds": 5, "kind": "503"})")->status == 200);
  REQUIRE(post_outage(sim, R"({"seconds": 20, "kind": "503"})")->status == 200);
  clock.advance(std::chrono::seconds(10));
  CHECK(sim.get(jobs, token)->status == 503);
  clock.advance(std::chrono::seconds(10));
  CHECK(sim.get(jobs, token)->status == 200);
  CHECK(sim.stats()["outage"]["started"].GetUint64() == 2);
}

TEST_CASE("outage refuse: connecting is refused, open connections are cut, then the same port") {
  FakeClock clock{FakeClock::real_now()};
  RunningSim sim(small_world(), clock.sim_clock());
  const int port = sim.port();
  const std::string token = sim.token();
  const std::string jobs = job_target("team-a", "app1", 5, 0);

  // A keep-alive connection opened before the outage, idle when it starts.
  const int idle = connect_to(port);
  REQUIRE(idle >= 0);
  REQUIRE(exchange(idle, "/_sim/stats").starts_with("HTTP/1.1 200 "));

  const auto started = post_outage(sim, R"({"seconds": 60, "kind": "refuse"})");
  REQUIRE(started);  // answered before the connection that asked is closed
  CHECK(started->status == 200);
  CHECK(parse_json(started->body)["outage"]["kind"].GetString() == std::string("refuse"));

  CHECK(eventually([&] { return refused(port); }));
  // The idle connection gets the end of stream a stopping server sends, not an answer.
  pollfd p{idle, POLLIN, 0};
  REQUIRE(::poll(&p, 1, 2000) == 1);
  char byte = 0;
  CHECK(::recv(idle, &byte, 1, 0) <= 0);
  ::close(idle);
  const auto during = sim.client().Get("/_sim/stats");
  CHECK_FALSE(during);
  CHECK(during.error() == httplib::Error::Connection);

  // Still refused while the clock has not moved on, however long the real wait.
  std::this_thread::sleep_for(100ms);
  CHECK(refused(port));
  clock.advance(std::chrono::seconds(61));
  CHECK(eventually([&] { return !refused(port); }));
  const auto after = sim.get(jobs, token);  // tokens survive: the service restarted, not IAM
  REQUIRE(after);
  CHECK(after->status == 200);
  const auto stats = sim.stats();
  CHECK(stats["outage"]["kind"].GetString() == std::string("none"));
  CHECK(stats["outage"]["started"].GetUint64() == 1);

  // And again: a second refusal works the same way.
  REQUIRE(post_outage(sim, R"({"seconds": 1, "kind": "refuse"})")->status == 200);
  CHECK(eventually([&] { return refused(port); }));
  clock.advance(std::chrono::seconds(2));
  CHECK(eventually([&] { return !refused(port); }));
  CHECK(sim.get(jobs, token)->status == 200);
}

TEST_CASE("outage refuse: stopping the simulator during a refusal does not hang") {
  FakeClock clock{FakeClock::real_now()};
  auto sim = std::make_unique<RunningSim>(small_world(), clock.sim_clock());
  const int port = sim->port();
  REQUIRE(post_outage(*sim, R"({"seconds": 600, "kind": "refuse"})")->status == 200);
  CHECK(eventually([&] { return refused(port); }));
  const auto start = std::chrono::steady_clock::now();
  sim.reset();
  CHECK(std::chrono::steady_clock::now() - start < 2s);
  CHECK(refused(port));
}

TEST_CASE("outage: bad requests are refused with the reason") {
  RunningSim sim(small_world());
  for (const char* body :
       {"", "[]", R"({"seconds": 5})", R"({"kind": "503"})", R"({"seconds": 5, "kind": "down"})",
        R"({"seconds": 0, "kind": "503"})", R"({"seconds": -1, "kind": "refuse"})",
        R"({"seconds": "5", "kind": "503"})", R"({"seconds": 3601, "kind": "503"})"}) {
    CAPTURE(body);
    const auto res = post_outage(sim, body);
    REQUIRE(res);
    CHECK(res->status == 400);
    CHECK(parse_json(res->body)["error"].IsString());
  }
  CHECK(sim.stats()["outage"]["started"].GetUint64() == 0);
}

TEST_CASE("outage credentials: every SWR call 401 APIGW.0301 until the time is up; IAM answers") {
  FakeClock clock{FakeClock::real_now()};
  RunningSim sim(small_world(), clock.sim_clock());
  const std::string token = sim.token();
  const std::string jobs = job_target("team-a", "app1", 5, 0);
  REQUIRE(sim.get(jobs, token)->status == 200);

  const auto started = post_outage(sim, R"({"seconds": 10, "kind": "credentials"})");
  REQUIRE(started);
  CHECK(started->status == 200);
  CHECK(parse_json(started->body)["outage"]["kind"].GetString() == std::string("credentials"));

  for (const std::string& target :
       {jobs, std::string("/v2/manage/namespaces"),
        std::string("/v2/manage/namespaces/team-a/repos/app1/sync_repo")}) {
    CAPTURE(target);
    const auto swr = sim.get(target, token);
    REQUIRE(swr);
    CHECK(swr->status == 401);
    const auto body = parse_json(swr->body);
    CHECK(body["error_code"].GetString() == std::string("APIGW.0301"));
    CHECK(body["request_id"].GetString() == swr->get_header_value("X-Request-Id"));
  }
  // IAM and the metadata service are not part of it.
  const auto iam = sim.issue();
  REQUIRE(iam);
  CHECK(iam->status == 201);
  const httplib::Headers ttl = {{"X-Metadata-Token-Ttl-Seconds", "60"}};
  CHECK(sim.client().Put("/meta-data/latest/api/token", ttl, "", "text/plain")->status == 200);
  auto stats = sim.stats();
  CHECK(stats["outage"]["kind"].GetString() == std::string("credentials"));
  CHECK(stats["outage"]["credentials_refusals"].GetUint64() == 3);

  clock.advance(std::chrono::seconds(9));
  CHECK(sim.get(jobs, token)->status == 401);
  clock.advance(std::chrono::seconds(1));
  CHECK(sim.get(jobs, token)->status == 200);
  CHECK(sim.stats()["outage"]["kind"].GetString() == std::string("none"));
}

TEST_CASE("outage iam_credentials: every IAM token request 401 in IAM's shape; SWR answers") {
  FakeClock clock{FakeClock::real_now()};
  RunningSim sim(small_world(), clock.sim_clock());
  const std::string token = sim.token();
  const std::string jobs = job_target("team-a", "app1", 5, 0);
  REQUIRE(post_outage(sim, R"({"seconds": 5, "kind": "iam_credentials"})")->status == 200);
  const auto iam = sim.issue();
  REQUIRE(iam);
  CHECK(iam->status == 401);
  CHECK(parse_json(iam->body)["error"]["code"].GetInt() == 401);
  CHECK(sim.get(jobs, token)->status == 200);
  CHECK(sim.stats()["outage"]["credentials_refusals"].GetUint64() == 1);
  clock.advance(std::chrono::seconds(5));
  CHECK(sim.issue()->status == 201);
}

TEST_CASE("outage: an unknown kind is refused with the kinds there are") {
  FakeClock clock{FakeClock::real_now()};
  RunningSim sim(small_world(), clock.sim_clock());
  const auto r = post_outage(sim, R"({"seconds": 5, "kind": "credential"})");
  REQUIRE(r);
  CHECK(r->status == 400);
  CHECK(parse_json(r->body)["error"].GetString() ==
        std::string(R"(kind must be "refuse", "503", "credentials" or "iam_credentials")"));
}
