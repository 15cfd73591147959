// Credentials over time, with a fake clock and a scripted transport: token renewal, refusals
// that must not turn into tight loops, and the AK/SK pause that keeps a key pair from locking.
#include <doctest/doctest.h>

#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>

#include "fake_clock.h"
#include "huaweicloud/authorizer.h"
#include "huaweicloud/rate_limiter.h"
#include "huaweicloud/swr_client.h"
#include "model/timestamp.h"

using namespace swr;
using namespace swr::huaweicloud;
using namespace std::chrono_literals;

using swr::test::FakeClock;

namespace {

// Answers from a script, or with `fallback`; records every request.
class ScriptedTransport final : public Transport {
 public:
  std::deque<HttpResponse> script;
  std::function<HttpResponse(const HttpRequest&)> fallback;
  std::vector<HttpRequest> sent;
  HttpResponse send(const HttpRequest& request) override {
    sent.push_back(request);
    if (!script.empty()) {
      HttpResponse r = std::move(script.front());
      script.pop_front();
      return r;
    }
    return fallback(request);
  }
  int count(std::string_view path_part) const {
    int n = 0;
    for (const auto& r : sent) n += r.path.find(path_part) != std::string::npos;
    return n;
  }
};

HttpResponse token_response(const std::string& token,
                            std::chrono::system_clock::time_point expires) {
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(expires.time_since_epoch());
  return {201,
          "",
          {{"X-Subject-Token", token}},
          R"({"token":{"expires_at":")" + format_timestamp_us(us.count()) + R"("}})"};
}

HttpResponse ok_page() { return {200, "", {{"Content-Range", "0-0/0"}}, "[]"}; }

HttpResponse refused_token() {
  return {401, "", {}, R"({"error_code":"SVCSTG.SWR.4010000","error_msg":"token expired"})"};
}

const RepositoryRef kRepo{"team-a", "app"};

}  // namespace

TEST_CASE("IAM tokens are cached and renewed at 75% of their life") {
  FakeClock clock;
  ScriptedTransport transport;
  int issued = 0;
  transport.fallback = [&](const HttpRequest& r) {
    if (r.path == "/v3/auth/tokens")
      return token_response("tok" + std::to_string(++issued), clock.now() + 24h);
    return ok_page();
  };
  NullApiObserver observer;
  auto auth = make_password_authorizer({"https://iam", "d", "u", "p", "cn-north-4"}, transport,
                                       observer, clock);
  RateLimiter limiter(1000, clock);
  SwrClient client("https://swr", transport, *auth, observer, clock, limiter);
  client.start_cycle(1);
  for (int i = 0; i < 5; ++i) REQUIRE(client.list_sync_jobs(kRepo, 0, 100, {}).has_value());
  CHECK(transport.count("/v3/auth/tokens") == 1);
  clock.advance(17h);  // < 18h = 75% of 24h
  REQUIRE(client.list_sync_jobs(kRepo, 0, 100, {}).has_value());
  CHECK(transport.count("/v3/auth/tokens") == 1);
  clock.advance(1h + 1s);
  REQUIRE(client.list_sync_jobs(kRepo, 0, 100, {}).has_value());
  CHECK(transport.count("/v3/auth/tokens") == 2);
  CHECK(transport.sent.back().header("X-Auth-Token") == "tok2");
}

TEST_CASE("a refused token is renewed once and the request retried; refused again, it fails") {
  FakeClock clock;
  ScriptedTransport transport;
  int issued = 0;
  bool refuse_all = false;
  transport.fallback = [&](const HttpRequest& r) {
    if (r.path == "/v3/auth/tokens")
      return token_response("tok" + std::to_string(++issued), clock.now() + 24h);
    if (refuse_all || r.header("X-Auth-Token") == "tok1") return refused_token();
    return ok_page();
  };
  NullApiObserver observer;
  auto auth = make_password_authorizer({"https://iam", "d", "u", "p", "cn-north-4"}, transport,
                                       observer, clock);
  RateLimiter limiter(1000, clock);
  SwrClient client("https://swr", transport, *auth, observer, clock, limiter);
  client.start_cycle(1);
  CHECK(client.list_sync_jobs(kRepo, 0, 100, {}).has_value());
  CHECK(transport.count("/v3/auth/tokens") == 2);
  CHECK(transport.count("sync_job") == 2);

  refuse_all = true;
  clock.advance(1min);
  const PageResult r = client.list_sync_jobs(kRepo, 0, 100, {});
  CHECK_FALSE(r.has_value());
  CHECK(r.error().authentication);
  CHECK(transport.count("/v3/auth/tokens") == 3);  // one renewal, not a loop
  CHECK(transport.count("sync_job") == 4);
  // Within ten seconds another refusal does not ask IAM again.
  CHECK_FALSE(client.list_sync_jobs(kRepo, 0, 100, {}).has_value());
  CHECK(transport.count("/v3/auth/tokens") == 3);
}

TEST_CASE("a refused password is not tried again for five minutes") {
  FakeClock clock;
  ScriptedTransport transport;
  transport.fallback = [&](const HttpRequest& r) -> HttpResponse {
    if (r.path == "/v3/auth/tokens") {
      return {
          401, "", {}, R"({"error":{"code":401,"message":"The username or password is wrong."}})"};
    }
    return ok_page();
  };
  NullApiObserver observer;
  auto auth = make_password_authorizer({"https://iam", "d", "u", "secret-pw", "cn-north-4"},
                                       transport, observer, clock);
  RateLimiter limiter(1000, clock);
  SwrClient client("https://swr", transport, *auth, observer, clock, limiter);
  client.start_cycle(1);
  for (int i = 0; i < 10; ++i) {
    const PageResult r = client.list_sync_jobs(kRepo, 0, 100, {});
    CHECK_FALSE(r.has_value());
    CHECK(r.error().authentication);
    CHECK(r.error().message.find("secret-pw") == std::string::npos);
    clock.advance(20s);
  }
  CHECK(transport.count("/v3/auth/tokens") == 1);
  CHECK(transport.count("sync_job") == 0);
  clock.advance(2min);  // past five minutes after the refusal
  CHECK_FALSE(client.list_sync_jobs(kRepo, 0, 100, {}).has_value());
  CHECK(transport.count("/v3/auth/tokens") == 2);
}

TEST_CASE("an unreachable IAM is not a refused password: no token, tried again in 30 s") {
  FakeClock clock;
  ScriptedTransport transport;
  transport.fallback = [&](const HttpRequest& r) -> HttpResponse {
    if (r.path == "/v3/auth/tokens") {
      HttpResponse down;
      down.transport_error = "Couldn't connect to server at https://iam";
      return down;
    }
    return ok_page();
  };
  NullApiObserver observer;
  auto auth = make_password_authorizer({"https://iam", "d", "u", "secret-pw", "cn-north-4"},
                                       transport, observer, clock);
  RateLimiter limiter(1000, clock);
  SwrClient client("https://swr", transport, *auth, observer, clock, limiter);
  client.start_cycle(1);
  const PageResult r = client.list_sync_jobs(kRepo, 0, 100, {});
  CHECK_FALSE(r.has_value());
  CHECK_FALSE(r.error().authentication);
  CHECK(r.error().message.find("Couldn't connect to server at https://iam") != std::string::npos);
  CHECK_FALSE(client.list_sync_jobs(kRepo, 0, 100, {}).has_value());
  CHECK(transport.count("/v3/auth/tokens") == 1);
  clock.advance(31s);
  CHECK_FALSE(client.list_sync_jobs(kRepo, 0, 100, {}).has_value());
  CHECK(transport.count("/v3/auth/tokens") == 2);
  CHECK(transport.count("sync_job") == 0);
}

TEST_CASE("a refused AK/SK signature pauses every request for five minutes") {
  FakeClock clock;
  ScriptedTransport transport;
  bool accept = false;
  transport.fallback = [&](const HttpRequest&) -> HttpResponse {
    if (accept) return ok_page();
    return {
        401,
        "",
        {{"X-Request-Id", "r1"}},
        R"({"error_code":"APIG.0301","error_msg":"Incorrect IAM authentication information: verify aksk signature fail"})"};
  };
  NullApiObserver observer;
  auto auth = make_aksk_authorizer({"AK", "SK", ""}, "project-1", clock);
  RateLimiter limiter(1000, clock);
  SwrClient client("https://swr", transport, *auth, observer, clock, limiter);
  client.start_cycle(100);
  for (int i = 0; i < 20; ++i) {
    const PageResult r = client.list_sync_jobs(kRepo, 0, 100, {});
    CHECK_FALSE(r.has_value());
    CHECK(r.error().authentication);
    clock.advance(14s);
  }
  CHECK(transport.sent.size() == 1);  // 20 tries over 4m40s: one request
  accept = true;
  clock.advance(30s);
  CHECK(client.list_sync_jobs(kRepo, 0, 100, {}).has_value());
  CHECK(transport.sent.size() == 2);
  const HttpRequest& signed_request = transport.sent.back();
  CHECK(signed_request.header("X-Project-Id") == "project-1");
  CHECK(signed_request.header("X-Sdk-Date")->size() == 16);
  CHECK(
      signed_request.header("Authorization")
          ->starts_with(
              "SDK-HMAC-SHA256 Access=AK, SignedHeaders=content-type;host;x-project-id;x-sdk-date, "
              "Signature="));
}

TEST_CASE("throttling: Retry-After is honoured, 5xx backs off, the retry budget bounds a cycle") {
  FakeClock clock;
  ScriptedTransport transport;
  transport.script = {
      {429, "", {{"Retry-After", "3"}}, R"({"error_code":"APIG.0308","error_msg":"throttled"})"},
      {200,
       "",
       {},
       R"({"error_code":"APIGW.0308","error_msg":"throttled in a 200? no: retried"})"}};
  transport.fallback = [](const HttpRequest&) { return ok_page(); };
  NullApiObserver observer;
  auto auth = make_aksk_authorizer({"AK", "SK", ""}, "", clock);
  RateLimiter limiter(1000, clock);
  SwrClient client("https://swr", transport, *auth, observer, clock, limiter);
  client.start_cycle(1);
  // A 200 body that is an error object is not a job list: reported, not retried.
  const PageResult first = client.list_sync_jobs(kRepo, 0, 100, {});
  CHECK(clock.slept() == 3s);
  CHECK_FALSE(first.has_value());
  CHECK(first.error().message.find("expected a JSON array") != std::string::npos);

  transport.script.clear();
  transport.sent.clear();
  transport.fallback = [](const HttpRequest&) -> HttpResponse { return {503, "", {}, "busy"}; };
  clock.reset_slept();
  const PageResult r = client.list_sync_jobs(kRepo, 0, 100, {});
  CHECK_FALSE(r.has_value());
  CHECK(transport.sent.size() == 4);  // max_attempts
  CHECK(clock.slept() >= 250ms + 500ms + 1000ms);
  CHECK(clock.slept() <= 500ms + 1000ms + 2000ms);
  // The budget (16 for one repository) runs out: later calls get no retries.
  for (int i = 0; i < 10; ++i) client.list_sync_jobs(kRepo, 0, 100, {});
  const std::size_t before = transport.sent.size();
  client.list_sync_jobs(kRepo, 0, 100, {});
  CHECK(transport.sent.size() == before + 1);
}

TEST_CASE("token file: read when it changes, never logged") {
  const auto dir = std::filesystem::temp_directory_path() / "swr-token-test";
  std::filesystem::create_directories(dir);
  const std::string file = (dir / "token").string();
  { std::ofstream(file) << "first-token\n"; }
  FakeClock clock;
  ScriptedTransport transport;
  transport.fallback = [&](const HttpRequest& r) -> HttpResponse {
    if (r.path == "/v3/auth/tokens") return {404, "", {}, "{}"};  // expiry unknown: still usable
    if (r.header("X-Auth-Token") == "first-token") return refused_token();
    return ok_page();
  };
  NullApiObserver observer;
  auto auth = make_token_file_authorizer(file, "https://iam", transport, observer, clock);
  RateLimiter limiter(1000, clock);
  SwrClient client("https://swr", transport, *auth, observer, clock, limiter);
  client.start_cycle(1);
  CHECK_FALSE(client.list_sync_jobs(kRepo, 0, 100, {}).has_value());
  { std::ofstream(file) << "second-token"; }
  CHECK(client.list_sync_jobs(kRepo, 0, 100, {}).has_value());
  CHECK(transport.sent.back().header("X-Auth-Token") == "second-token");
  std::filesystem::remove_all(dir);
}

TEST_CASE("the rate limiter spaces requests, halves on throttling and climbs back") {
  FakeClock clock;
  RateLimiter limiter(4, clock);
  // A burst of one second's worth, then one every 250 ms.
  for (int i = 0; i < 4; ++i) CHECK(limiter.acquire({}));
  CHECK(clock.slept() == 0ms);
  for (int i = 0; i < 8; ++i) CHECK(limiter.acquire({}));
  CHECK(clock.slept() == 2000ms);
  limiter.on_throttled();
  CHECK(limiter.current_rate() == 2);
  limiter.on_throttled();
  CHECK(limiter.current_rate() == 1);
  for (int i = 0; i < 10; ++i) limiter.on_throttled();
  CHECK(limiter.current_rate() == doctest::Approx(4.0 / 16));
  for (int i = 0; i < 100; ++i) limiter.on_success();
  CHECK(limiter.current_rate() == 4);

  SUBCASE("throttled answers slow the client down") {
    ScriptedTransport transport;
    transport.script = {{429, "", {{"Retry-After", "0"}}, R"({"error_code":"APIG.0308"})"}};
    transport.fallback = [](const HttpRequest&) { return ok_page(); };
    NullApiObserver observer;
    auto auth = make_aksk_authorizer({"AK", "SK", ""}, "", clock);
    SwrClient client("https://swr", transport, *auth, observer, clock, limiter);
    client.start_cycle(1);
    CHECK(client.list_sync_jobs(kRepo, 0, 100, {}).has_value());
    CHECK(limiter.current_rate() == doctest::Approx(2.2));  // halved, then one success
  }
}
