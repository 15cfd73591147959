// The exporter's own signals for alerts (issue 11): refused credentials, the expiry of the
// metadata service's temporary keys, the poll interval and the rate limiter's current rate.
#include <doctest/doctest.h>

#include <deque>
#include <functional>

#include "fake_clock.h"
#include "huaweicloud/authorizer.h"
#include "huaweicloud/error_body.h"
#include "huaweicloud/rate_limiter.h"
#include "huaweicloud/swr_client.h"
#include "metrics/api_metrics.h"
#include "metrics/exposition.h"
#include "model/timestamp.h"

using namespace swr;
using namespace swr::huaweicloud;
using namespace std::chrono_literals;

using swr::test::FakeClock;

namespace {

class FunctionTransport final : public Transport {
 public:
  std::function<HttpResponse(const HttpRequest&)> answer;
  std::vector<HttpRequest> sent;
  HttpResponse send(const HttpRequest& request) override {
    sent.push_back(request);
    return answer(request);
  }
};

// What the client told the observer, in order.
class RecordingObserver final : public ApiObserver {
 public:
  std::vector<bool> credentials;  // true: refused
  std::vector<double> expiries;
  void on_request(std::string_view, std::string_view, double) override {}
  void on_token_expiry(double unix_seconds) override { expiries.push_back(unix_seconds); }
  void on_credentials(bool refused) override { credentials.push_back(refused); }
};

HttpResponse ok_page() { return {200, "", {{"Content-Range", "0-0/0"}}, "[]"}; }

HttpResponse error(int status, const std::string& code) {
  return {status, "", {}, R"({"error_code":")" + code + R"(","error_msg":"no"})"};
}

const RepositoryRef kRepo{"team-a", "app"};

std::string text_of(const std::vector<prometheus::MetricFamily>& families) {
  return metrics::render_text(families);
}

}  // namespace

TEST_CASE("which answers say the credentials were refused") {
  struct Case {
    int status;
    const char* code;
    bool refused;
  };
  const Case cases[] = {
      {401, "APIG.0301", true},           // AK/SK signature refused
      {401, "APIGW.0301", true},          // the same, newer gateway
      {401, "SVCSTG.SWR.4010000", true},  // token invalid or expired
      {401, "", true},                    // any 401: authentication failed
      {403, "APIG.0302", true},           // the IAM user may not call the API at all
      {403, "APIGW.0305", true},
      {403, "IAM.0003", true},
      {403, "SVCSTG.SWR.4030000", false},  // no permission on this organization or repository
      {403, "", false},                    // nothing says it is the credentials
      {403, "APIG.0308", false},           // throttling, whatever the status
      {429, "APIG.0308", false},
      {404, "SVCSTG.SWR.4040003", false},
      {500, "SVCSTG.SWR.5000000", false},
      {400, "APIG.0301", false},
      {200, "", false},
  };
  for (const Case& c : cases) {
    CAPTURE(c.status);
    CAPTURE(c.code);
    CHECK(is_credentials_refusal(c.status, c.code) == c.refused);
  }
}

TEST_CASE("credentials: refused by the gateway, then accepted; a repository's 403 is not it") {
  FakeClock clock;
  FunctionTransport transport;
  HttpResponse next = error(401, "APIG.0301");
  transport.answer = [&](const HttpRequest&) { return next; };
  RecordingObserver observer;
  auto auth = make_aksk_authorizer({"AK", "SK", ""}, "", clock);
  RateLimiter limiter(1000, clock);
  SwrClient client("https://swr", transport, *auth, observer, clock, limiter);
  client.start_cycle(10);
  CHECK_FALSE(client.list_sync_jobs(kRepo, 0, 100, {}).has_value());
  CHECK(observer.credentials == std::vector<bool>{true});
  // Paused for five minutes: nothing is sent, nothing new is said.
  CHECK_FALSE(client.list_sync_jobs(kRepo, 0, 100, {}).has_value());
  CHECK(observer.credentials == std::vector<bool>{true});
  clock.advance(5min + 1s);
  next = ok_page();
  CHECK(client.list_sync_jobs(kRepo, 0, 100, {}).has_value());
  CHECK(observer.credentials == std::vector<bool>{true, false});
  // A 403 of SWR's own (no permission on one repository) and a 5xx say nothing of them.
  next = error(403, "SVCSTG.SWR.4030000");
  CHECK_FALSE(client.list_sync_jobs(kRepo, 0, 100, {}).has_value());
  next = error(404, "SVCSTG.SWR.4040003");
  CHECK_FALSE(client.list_sync_jobs(kRepo, 0, 100, {}).has_value());
  CHECK(observer.credentials == std::vector<bool>{true, false});
  // A 403 with the gateway's authentication code does.
  next = error(403, "APIGW.0302");
  CHECK_FALSE(client.list_sync_jobs(kRepo, 0, 100, {}).has_value());
  CHECK(observer.credentials == std::vector<bool>{true, false, true});
}

TEST_CASE("credentials: IAM refusing the password says refused; the token it then gives is not") {
  FakeClock clock;
  FunctionTransport transport;
  bool iam_refuses = true;
  transport.answer = [&](const HttpRequest& r) -> HttpResponse {
    if (r.path == "/v3/auth/tokens") {
      if (iam_refuses) {
        return {401,
                "",
                {},
                R"({"error":{"code":401,"message":"The username or password is wrong."}})"};
      }
      const auto us = std::chrono::duration_cast<std::chrono::microseconds>(
          (clock.now() + 24h).time_since_epoch());
      return {201,
              "",
              {{"X-Subject-Token", "tok"}},
              R"({"token":{"expires_at":")" + format_timestamp_us(us.count()) + R"("}})"};
    }
    return ok_page();
  };
  RecordingObserver observer;
  auto auth = make_password_authorizer({"https://iam", "d", "u", "p", "cn-north-4"}, transport,
                                       observer, clock);
  RateLimiter limiter(1000, clock);
  SwrClient client("https://swr", transport, *auth, observer, clock, limiter);
  client.start_cycle(10);
  CHECK_FALSE(client.list_sync_jobs(kRepo, 0, 100, {}).has_value());
  CHECK(observer.credentials == std::vector<bool>{true});
  iam_refuses = false;
  clock.advance(5min + 1s);
  CHECK(client.list_sync_jobs(kRepo, 0, 100, {}).has_value());
  // Accepted only once SWR took the token.
  CHECK(observer.credentials == std::vector<bool>{true, false});
  CHECK(observer.expiries.size() == 1);
}

TEST_CASE("metadata: the temporary keys' expires_at is reported as the token expiry") {
  FakeClock clock;
  FunctionTransport transport;
  const std::int64_t expires_us =
      std::chrono::duration_cast<std::chrono::microseconds>((clock.now() + 2h).time_since_epoch())
          .count() +
      123'456;
  int keys_fetched = 0;
  transport.answer = [&](const HttpRequest& r) -> HttpResponse {
    if (r.path == "/meta-data/latest/api/token") return {200, "", {}, "session"};
    if (r.path == "/openstack/latest/securitykey") {
      ++keys_fetched;
      return {200,
              "",
              {},
              R"({"credential":{"access":"TMPAK","secret":"TMPSK","securitytoken":"ST",)"
              R"("expires_at":")" +
                  format_timestamp_us(expires_us + (keys_fetched - 1) * 3'600'000'000LL) +
                  R"("}})"};
    }
    return ok_page();
  };
  RecordingObserver observer;
  auto auth = make_metadata_authorizer("http://169.254.169.254", "", transport, observer, clock);
  RateLimiter limiter(1000, clock);
  SwrClient client("https://swr", transport, *auth, observer, clock, limiter);
  client.start_cycle(10);
  REQUIRE(client.list_sync_jobs(kRepo, 0, 100, {}).has_value());
  REQUIRE(observer.expiries.size() == 1);
  CHECK(observer.expiries[0] == doctest::Approx(static_cast<double>(expires_us) / 1e6));
  // Renewed 40 minutes before they expire: the new keys' expiry replaces it.
  clock.advance(81min);
  REQUIRE(client.list_sync_jobs(kRepo, 0, 100, {}).has_value());
  REQUIRE(observer.expiries.size() == 2);
  CHECK(observer.expiries[1] ==
        doctest::Approx(static_cast<double>(expires_us + 3'600'000'000LL) / 1e6));
  // A failed fetch reports nothing.
  transport.answer = [](const HttpRequest&) { return HttpResponse{503, "", {}, ""}; };
  clock.advance(81min);
  client.list_sync_jobs(kRepo, 0, 100, {});
  CHECK(observer.expiries.size() == 2);
}

TEST_CASE("swr_exporter_credentials_refused is always served, 0 until refused") {
  metrics::ApiMetrics api;
  CHECK(text_of(api.collect()).find("\nswr_exporter_credentials_refused 0\n") != std::string::npos);
  api.set_credentials_refused(true);
  CHECK(text_of(api.collect()).find("\nswr_exporter_credentials_refused 1\n") != std::string::npos);
  api.set_credentials_refused(false);
  CHECK(text_of(api.collect()).find("\nswr_exporter_credentials_refused 0\n") != std::string::npos);
}

TEST_CASE("poll interval and the rate limiter's current rate, as it halves and climbs back") {
  FakeClock clock;
  RateLimiter limiter(10, clock);
  auto text = [&] { return text_of(metrics::poll_families(60, limiter.current_rate())); };
  CHECK(text() ==
        "# HELP swr_exporter_poll_interval_seconds Time between two poll cycles (scrape.interval "
        "in use)\n"
        "# TYPE swr_exporter_poll_interval_seconds gauge\n"
        "swr_exporter_poll_interval_seconds 60\n"
        "# HELP swr_exporter_rate_limit_requests_per_second Requests a second the rate limiter "
        "allows now: scrape.max_requests_per_second, less while the API throttles\n"
        "# TYPE swr_exporter_rate_limit_requests_per_second gauge\n"
        "swr_exporter_rate_limit_requests_per_second 10\n");
  limiter.on_throttled();
  CHECK(text().find("\nswr_exporter_rate_limit_requests_per_second 5\n") != std::string::npos);
  limiter.on_success();
  CHECK(text().find("\nswr_exporter_rate_limit_requests_per_second 5.5\n") != std::string::npos);
}
