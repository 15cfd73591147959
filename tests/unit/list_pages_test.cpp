// SwrClient::list_pages, the pages of many repositories in flight from one thread: against a
// transport that holds requests until asked and answers them out of order, with a fake clock.
// Each page must come back once, to the right repository, with the retries, pauses and rate
// limit of a single call.
#include <doctest/doctest.h>

#include <algorithm>
#include <functional>
#include <map>

#include "fake_clock.h"
#include "huaweicloud/authorizer.h"
#include "huaweicloud/discovery_json.h"
#include "huaweicloud/rate_limiter.h"
#include "huaweicloud/swr_client.h"
#include "model/timestamp.h"

using namespace swr;
using namespace swr::huaweicloud;
using namespace std::chrono_literals;

using swr::test::FakeClock;

namespace {

using Respond = std::function<HttpResponse(const HttpRequest&)>;

// Requests stay in flight until wait(), which answers all of them, newest first.
class HeldTransport final : public Transport {
 public:
  explicit HeldTransport(Respond respond) : respond_(std::move(respond)) {}
  HttpResponse send(const HttpRequest& request) override {
    sent.push_back(request);
    return respond_(request);
  }
  std::unique_ptr<RequestSet> request_set() override { return std::make_unique<Set>(*this); }

  std::vector<HttpRequest> sent;
  std::size_t most_in_flight = 0;
  std::vector<std::chrono::system_clock::time_point> sent_at;
  const Clock* clock = nullptr;

 private:
  class Set final : public RequestSet {
   public:
    explicit Set(HeldTransport& t) : t_(t) {}
    void start(std::uint64_t tag, const HttpRequest& request) override {
      t_.sent.push_back(request);
      if (t_.clock) t_.sent_at.push_back(t_.clock->now());
      held_.emplace_back(tag, request);
      t_.most_in_flight = std::max(t_.most_in_flight, held_.size());
    }
    std::vector<Answer> wait(std::chrono::milliseconds, std::stop_token) override {
      std::vector<Answer> out;
      for (auto it = held_.rbegin(); it != held_.rend(); ++it) {
        out.emplace_back(it->first, t_.respond_(it->second));
      }
      held_.clear();
      return out;
    }
    std::size_t in_flight() const override { return held_.size(); }

   private:
    HeldTransport& t_;
    std::vector<std::pair<std::uint64_t, HttpRequest>> held_;
  };
  Respond respond_;
};

class CountingObserver final : public ApiObserver {
 public:
  std::map<std::string, int> codes;
  void on_request(std::string_view api, std::string_view code, double) override {
    ++codes[std::string(api) + " " + std::string(code)];
  }
  void on_token_expiry(double) override {}
};

// An AK/SK client over `transport`, counting what it sends, behind a rate limit of `rate`.
struct AkSkClient {
  AkSkClient(FakeClock& clock, Transport& transport, double rate = 1000)
      : auth(make_aksk_authorizer({"AK", "SK", ""}, "", clock)),
        limiter(rate, clock),
        swr("https://swr", transport, *auth, observer, clock, limiter) {}
  CountingObserver observer;
  std::unique_ptr<Authorizer> auth;
  RateLimiter limiter;
  SwrClient swr;
};

// One page per repository, asked for in order; the answers are kept by tag.
class Pages final : public PageSource {
 public:
  explicit Pages(std::size_t repositories) {
    for (std::size_t i = 0; i < repositories; ++i) {
      refs.push_back({"team", "app" + std::to_string(i)});
    }
  }
  std::optional<PageQuery> next() override {
    if (next_ == refs.size()) return std::nullopt;
    const std::size_t i = next_++;
    return PageQuery{i, &refs[i], 0, 10};
  }
  void done(const PageQuery& query, PageResult result) override {
    ++answers[query.tag];
    results.emplace(query.tag, std::move(result));
    if (on_done) on_done(query.tag);
  }

  std::vector<RepositoryRef> refs;
  std::map<std::size_t, int> answers;
  std::map<std::size_t, PageResult> results;
  std::function<void(std::size_t)> on_done;

 private:
  std::size_t next_ = 0;
};

// A page of one job whose id is the repository's number, so a mixed-up answer shows.
HttpResponse page_for(const HttpRequest& request) {
  const std::size_t from = request.path.find("app") + 3;
  const std::string n = request.path.substr(from, request.path.find('/', from) - from);
  return {
      200,
      "",
      {{"Content-Range", "0-0/1"}},
      R"([{"id":)" + n +
          R"(,"status":"success","createdAt":"2026-11-01T00:00:00Z","updatedAt":"2026-11-01T00:00:05Z","tag":"v1","targetRegion":"r","targetOrganization":"o"}])"};
}

std::string repository_of(const HttpRequest& request) {
  const std::size_t from = request.path.find("/repos/") + 7;
  return request.path.substr(from, request.path.find('/', from) - from);
}

const HttpResponse kThrottled{
    429, "", {{"Retry-After", "2"}}, R"({"error_code":"APIG.0308","error_msg":"throttled"})"};

}  // namespace

TEST_CASE("list_pages: every page once, to its own repository, never more in flight than asked") {
  FakeClock clock;
  HeldTransport transport(page_for);
  AkSkClient c(clock, transport);
  c.swr.start_cycle(25);
  Pages pages(25);
  c.swr.list_pages(pages, 4, {});
  CHECK(transport.most_in_flight == 4);
  CHECK(transport.sent.size() == 25);
  REQUIRE(pages.answers.size() == 25);
  for (const auto& entry : pages.results) {
    const std::size_t tag = entry.first;
    const PageResult& result = entry.second;
    CAPTURE(tag);
    CHECK(pages.answers[tag] == 1);
    REQUIRE(result);
    REQUIRE(result->jobs.size() == 1);
    CHECK(result->jobs[0].id == static_cast<std::int64_t>(tag));
    CHECK(result->total == 1);
  }
  CHECK(c.observer.codes["sync_job 200"] == 25);
  // Signed like a single call.
  CHECK(transport.sent[0].header("Authorization")->starts_with("SDK-HMAC-SHA256 Access=AK"));
  CHECK(transport.sent[0].target() ==
        "/v2/manage/namespaces/team/repos/app0/sync_job?filter=limit%3A%3A10%7Coffset%3A%3A0%7C"
        "order%3A%3Adesc");
}

TEST_CASE("list_pages: throttled and failing pages are retried like a single call") {
  FakeClock clock;
  std::map<std::string, int> asked;
  HeldTransport transport([&](const HttpRequest& request) {
    const std::string repo = repository_of(request);
    const int n = ++asked[repo];
    if (repo == "app2" && n <= 2) return kThrottled;
    if (repo == "app5") return HttpResponse{503, "", {}, "busy"};
    if (repo == "app7") return HttpResponse{404, "", {}, R"({"errorCode":"SVCSTG.SWR.4040002"})"};
    if (repo == "app8") return HttpResponse{200, "", {}, R"([{"id":1,)"};
    return page_for(request);
  });
  AkSkClient c(clock, transport);
  c.swr.start_cycle(10);
  Pages pages(10);
  const auto start = clock.now();
  c.swr.list_pages(pages, 3, {});
  REQUIRE(pages.results.size() == 10);
  for (const auto& entry : pages.answers) CHECK(entry.second == 1);
  CHECK(asked["app2"] == 3);  // two 429s, then the page
  CHECK(pages.results.at(2).has_value());
  CHECK(asked["app5"] == 4);  // max_attempts
  CHECK_FALSE(pages.results.at(5).has_value());
  CHECK(pages.results.at(5).error().message == "sync_job team/app5 offset 0: HTTP 503: busy");
  CHECK(asked["app7"] == 1);  // a 404 is not retried
  CHECK(pages.results.at(7).error().not_found);
  CHECK(asked["app8"] == 1);  // nor a body that does not parse
  CHECK(pages.results.at(8).error().message.starts_with(
      "sync_job team/app8 offset 0: bad response body: "));
  for (const std::size_t ok : {0, 1, 3, 4, 6, 9}) CHECK(pages.results.at(ok).has_value());
  CHECK(c.observer.codes["sync_job 429"] == 2);
  CHECK(c.observer.codes["sync_job 503"] == 4);
  // Retry-After 2 s twice; the 503 backoff ran alongside.
  CHECK(clock.now() - start >= 4s);
  CHECK(c.limiter.current_rate() < 1000);  // slowed down by the 429s
  CHECK(transport.most_in_flight <= 3);
}

TEST_CASE("list_pages: a refused AK/SK signature stops what is not yet sent") {
  FakeClock clock;
  HeldTransport transport([](const HttpRequest&) {
    return HttpResponse{401, "", {}, R"({"error_code":"APIG.0301","error_msg":"bad signature"})"};
  });
  AkSkClient c(clock, transport);
  c.swr.start_cycle(20);
  Pages pages(20);
  c.swr.list_pages(pages, 2, {});
  REQUIRE(pages.results.size() == 20);
  CHECK(transport.sent.size() == 2);  // the two in flight when the first refusal came
  for (const auto& entry : pages.results) {
    const PageResult& result = entry.second;
    CHECK_FALSE(result.has_value());
    CHECK(result.error().authentication);
  }
  CHECK(pages.results.at(19).error().message.find("not sent") != std::string::npos);
}

TEST_CASE("list_pages: a refused token is renewed once for the pages in flight") {
  FakeClock clock;
  int issued = 0;
  HeldTransport transport([&](const HttpRequest& r) {
    if (r.path == "/v3/auth/tokens") {
      const auto us = std::chrono::duration_cast<std::chrono::microseconds>(
          (clock.now() + 24h).time_since_epoch());
      return HttpResponse{
          201,
          "",
          {{"X-Subject-Token", "tok" + std::to_string(++issued)}},
          R"({"token":{"expires_at":")" + format_timestamp_us(us.count()) + R"("}})"};
    }
    if (r.header("X-Auth-Token") == "tok1") {
      return HttpResponse{401, "", {}, R"({"error_code":"SVCSTG.SWR.4010000"})"};
    }
    return page_for(r);
  });
  CountingObserver observer;
  auto auth = make_password_authorizer({"https://iam", "d", "u", "p", "cn-north-4"}, transport,
                                       observer, clock);
  RateLimiter limiter(1000, clock);
  SwrClient client("https://swr", transport, *auth, observer, clock, limiter);
  client.start_cycle(6);
  Pages pages(6);
  client.list_pages(pages, 3, {});
  REQUIRE(pages.results.size() == 6);
  for (const auto& entry : pages.results) CHECK(entry.second.has_value());
  CHECK(issued == 2);
  CHECK(observer.codes["sync_job 401"] == 3);  // the three sent with the first token
  CHECK(observer.codes["sync_job 200"] == 6);
}

TEST_CASE("list_pages: the rate limit spaces the pages as it does single calls") {
  FakeClock clock;
  HeldTransport transport(page_for);
  transport.clock = &clock;
  AkSkClient c(clock, transport, 2);  // a burst of 2, then one every 500 ms
  c.swr.start_cycle(8);
  Pages pages(8);
  c.swr.list_pages(pages, 8, {});
  REQUIRE(pages.results.size() == 8);
  REQUIRE(transport.sent_at.size() == 8);
  CHECK(transport.sent_at[1] == transport.sent_at[0]);
  for (std::size_t i = 2; i < 8; ++i) {
    CAPTURE(i);
    CHECK(transport.sent_at[i] - transport.sent_at[0] >= (i - 1) * 500ms);
  }
  CHECK(transport.sent_at[7] - transport.sent_at[0] <= 3100ms);
}

TEST_CASE("list_pages: stop ends it with the answers that are in") {
  FakeClock clock;
  HeldTransport transport(page_for);
  AkSkClient c(clock, transport);
  c.swr.start_cycle(50);
  Pages pages(50);
  std::stop_source stop;
  pages.on_done = [&](std::size_t) {
    if (pages.answers.size() == 5) stop.request_stop();
  };
  c.swr.list_pages(pages, 2, stop.get_token());
  CHECK(pages.answers.size() >= 5);
  CHECK(pages.answers.size() <= 6);  // the two answers of one wait
  CHECK(transport.sent.size() <= 6);
}

TEST_CASE("the repository listing: change hints per entry, problems said, pages, a name twice") {
  FakeClock clock;
  // 500 a page: page 0 ends with "dup", page 1 repeats it, plus a good and a malformed entry.
  HeldTransport transport([](const HttpRequest& request) {
    const std::string& filter = request.query.at(0).second;
    std::string body = "[";
    auto item = [&](const std::string& name, const std::string& extra) {
      if (body.size() > 1) body += ",";
      body += R"({"name":")" + name + R"(","namespace":"team","total_range":503)" + extra + "}";
    };
    const std::string good =
        R"(,"updated_at":"2026-11-30T10:00:00.123456Z","num_images":2,"tags":["v1","v2"])";
    if (filter.find("offset::0") != std::string::npos) {
      for (int i = 0; i < 499; ++i) item("app" + std::to_string(i), good);
      item("dup", good);
    } else {
      item("dup", good);
      item("late", good);
      item("bad-time", R"(,"updated_at":"yesterday","num_images":1,"tags":[])");
      item("bad-tags", R"(,"updated_at":"2026-11-30T10:00:00Z","tags":"v1")");
      item("no-time", R"(,"num_images":1)");
    }
    HttpResponse response;
    response.status = 200;
    response.body = body + "]";
    return response;
  });
  AkSkClient client(clock, transport);
  const ListingResult listed = client.swr.list_repositories("team", {});
  REQUIRE(listed.entries);
  CHECK(listed.requests == 2);
  CHECK(listed.entries->size() == 504);  // "dup" once
  std::map<std::string, RepositoryListing> by_name;
  for (const auto& e : *listed.entries) by_name[e.name] = e;
  CHECK(by_name["app7"].problem.empty());
  CHECK(by_name["app7"].fingerprint == by_name["late"].fingerprint);  // same fields, same hint
  CHECK(by_name["dup"].problem == "listed more than once");
  CHECK(by_name["dup"].fingerprint.empty());
  CHECK(by_name["bad-time"].problem == "`updated_at` \"yesterday\" is not a timestamp");
  CHECK(by_name["bad-tags"].problem == "`tags` is not an array");
  CHECK(by_name["no-time"].problem == "no `updated_at`");
}

TEST_CASE("a listing entry's hint moves with each field a push moves, and only with them") {
  auto hint = [](const std::string& fields) {
    const auto parsed = parse_repositories(
        R"([{"name":"app","namespace":"team","description":"x",)" + fields + "}]", "team");
    REQUIRE(parsed.has_value());
    REQUIRE(parsed->entries.size() == 1);
    return parsed->entries[0].fingerprint;
  };
  const std::string base =
      hint(R"("updated_at":"2026-11-30T10:00:00Z","num_images":2,"tags":["v1","v2"])");
  CHECK_FALSE(base.empty());
  CHECK(hint(R"("updated_at":"2026-11-30T10:00:01Z","num_images":2,"tags":["v1","v2"])") != base);
  CHECK(hint(R"("updated_at":"2026-11-30T10:00:00Z","num_images":3,"tags":["v1","v2"])") != base);
  CHECK(hint(R"("updated_at":"2026-11-30T10:00:00Z","num_images":2,"tags":["v1","v3"])") != base);
  CHECK(hint(R"("updated_at":"2026-11-30T10:00:00Z","num_images":2,"tags":["v1v2"])") != base);
  CHECK(hint(R"("updated_at":"2026-11-30T10:00:00Z","num_images":2,"tags":["v1","v2"],"size":9)") ==
        base);
  // An older updated_at is a change too: a listing that goes backwards is read, not trusted.
  CHECK(hint(R"("updated_at":"2026-11-29T10:00:00Z","num_images":2,"tags":["v1","v2"])") != base);
}
