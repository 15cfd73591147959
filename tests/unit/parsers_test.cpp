// Table-driven tests of every parser of what the API sends.
#include <doctest/doctest.h>

#include "huaweicloud/content_range.h"
#include "huaweicloud/error_body.h"
#include "huaweicloud/retry_policy.h"
#include "huaweicloud/sync_job_json.h"
#include "model/timestamp.h"
#include "model/utf8.h"

using namespace swr;
using namespace swr::huaweicloud;

TEST_CASE("timestamps in every shape the API may send") {
  const std::int64_t base = 1584000696LL * 1000000;  // 2020-03-12T08:11:36Z
  struct Row {
    const char* text;
    std::optional<std::int64_t> us;
  };
  const Row rows[] = {
      {"2020-03-12T08:11:36.518144Z", base + 518144},
      {"2020-03-12T08:11:36Z", base},
      {"2020-03-12T08:11:36.5Z", base + 500000},
      {"2020-03-12T08:11:36.123456789Z", base + 123456},
      {"2020-03-12T08:11:36", base},
      {"2020-03-12 08:11:36Z", base},
      {"2020-03-12T16:11:36+08:00", base},
      {"2020-03-12T16:11:36+0800", base},
      {"2020-03-12T03:11:36.000-05:00", base},
      {"2020-03-12t08:11:36z", base},
      {"1970-01-01T00:00:00Z", 0},
      {"2024-02-29T00:00:00Z", 1709164800LL * 1000000},
      {"2023-02-29T00:00:00Z", std::nullopt},
      {"2020-13-12T08:11:36Z", std::nullopt},
      {"2020-03-12T24:11:36Z", std::nullopt},
      {"2020-03-12T08:11:36.Z", std::nullopt},
      {"2020-03-12T08:11:36ZZ", std::nullopt},
      {"2020-03-12T08:11", std::nullopt},
      {"2020-03-12", std::nullopt},
      {"", std::nullopt},
      {"not a time", std::nullopt},
      {"2020-03-12T08:11:36+8", std::nullopt},
  };
  for (const Row& row : rows) {
    CAPTURE(row.text);
    CHECK(parse_timestamp_us(row.text) == row.us);
  }
  CHECK(format_sdk_date(1591583940) == "20200608T023900Z");
  CHECK(format_timestamp_us(base + 518144) == "2020-03-12T08:11:36.518144Z");
  CHECK(parse_timestamp_us(format_timestamp_us(base + 7)) == base + 7);
}

TEST_CASE("Content-Range: only the integer after the last slash counts") {
  CHECK(content_range_total("0-100/250") == 250);
  CHECK(content_range_total("100-50/150") == 150);
  CHECK(content_range_total("items 0-9/10") == 10);
  CHECK(content_range_total(" 0-0/0 ") == 0);
  CHECK(content_range_total("bytes */*") == std::nullopt);
  CHECK(content_range_total("0-100") == std::nullopt);
  CHECK(content_range_total("0-100/") == std::nullopt);
  CHECK(content_range_total("0-100/-5") == std::nullopt);
  CHECK(content_range_total("0-100/99999999999999999999") == std::nullopt);
  CHECK(content_range_total("") == std::nullopt);
}

TEST_CASE("all three SWR error-body shapes, IAM's, and anything else") {
  struct Row {
    const char* body;
    const char* code;
    const char* message;
  };
  const Row rows[] = {
      {R"({"error_code":"SVCSTG.SWR.4010000","error_msg":"Authorization failed","details":[],
          "errors":[{"errorCode":"SVCSTG.SWR.4010000","errorMessage":"Authorization failed","detail":""}]})",
       "SVCSTG.SWR.4010000", "Authorization failed"},
      {R"([{"errorCode":"SVCSTG.SWR.4040001","errorMessage":"Repository not found","detail":""}])",
       "SVCSTG.SWR.4040001", "Repository not found"},
      {R"({"error_code":"APIG.0308","error_msg":"The throttling threshold has been reached","request_id":"r1"})",
       "APIG.0308", "The throttling threshold has been reached"},
      {R"({"error_code":"APIGW.0308","error_msg":"throttled"})", "APIGW.0308", "throttled"},
      {R"({"errors":[{"errorCode":"SVCSTG.SWR.5000000","errorMessage":"internal"}]})",
       "SVCSTG.SWR.5000000", "internal"},
      {R"({"error":{"code":401,"message":"The username or password is wrong.","title":"Unauthorized"}})",
       "401", "The username or password is wrong."},
      {"<html>Bad Gateway</html>", "", "<html>Bad Gateway</html>"},
      {"", "", ""},
      {"{}", "", "{}"},
      {"[1,2]", "", "[1,2]"},
  };
  for (const Row& row : rows) {
    CAPTURE(row.body);
    const ApiErrorBody parsed = parse_error_body(row.body);
    CHECK(parsed.code == row.code);
    CHECK(parsed.message == row.message);
  }
  SUBCASE("a long raw body is cut short, made one line and valid UTF-8") {
    const std::string body = std::string(300, 'x') + "\n\xff";
    const ApiErrorBody parsed = parse_error_body(body);
    CHECK(parsed.message == std::string(200, 'x') + "...");
    CHECK(parse_error_body("a\nb\xff").message == "a b\xEF\xBF\xBD");
  }
  CHECK(is_throttling_code("APIG.0308"));
  CHECK(is_throttling_code("APIGW.0308"));
  CHECK_FALSE(is_throttling_code("APIG.0301"));
  CHECK(is_gateway_auth_code("APIG.0301"));
  CHECK(is_gateway_auth_code("APIGW.0301"));
  CHECK_FALSE(is_gateway_auth_code("SVCSTG.SWR.4010000"));
}

TEST_CASE("SyncJob parsing") {
  const char* body = R"([
    {"id": 7, "createdAt": "2020-03-12T08:11:36.518144Z", "updatedAt": "2020-03-12T08:12:36.518144Z",
     "namespace": "team-a", "repoName": "team/app", "tag": "v1.2", "remoteRegionId": "cn-east-3",
     "remoteNamespace": "team-a-mirror", "status": "success", "override": false,
     "domainID": "d", "domainName": "n", "syncOperatorId": "o", "syncOperatorName": "op", "extra": [1]},
    {"id": 8, "createdAt": "2020-03-12T08:11:36Z", "updatedAt": "2020-03-12T08:11:36Z",
     "status": "weird", "tag": null}
  ])";
  const Result<std::vector<SyncJob>> parsed = parse_sync_jobs(body);
  REQUIRE(parsed.has_value());
  REQUIRE(parsed->size() == 2);
  const SyncJob& a = (*parsed)[0];
  CHECK(a.id == 7);
  CHECK(a.organization == "team-a");
  CHECK(a.repository == "team/app");
  CHECK(a.tag == "v1.2");
  CHECK(a.target_region == "cn-east-3");
  CHECK(a.target_organization == "team-a-mirror");
  CHECK(a.status == SyncStatus::kSuccess);
  CHECK(a.duration_seconds() == doctest::Approx(60.0));
  CHECK((*parsed)[1].status == SyncStatus::kUnknown);
  CHECK((*parsed)[1].tag.empty());

  struct Bad {
    const char* body;
    const char* error;
  };
  const Bad bad[] = {
      {"", "malformed JSON at byte 0"},
      {"[{\"id\":1,", "malformed JSON"},
      {"{}", "expected a JSON array of sync jobs"},
      {"[1]", "element 0 is not an object"},
      {R"([{"createdAt":"2020-03-12T08:11:36Z","updatedAt":"2020-03-12T08:11:36Z","status":"success"}])",
       "element 0 has no `id`"},
      {R"([{"id":"7","createdAt":"2020-03-12T08:11:36Z","updatedAt":"2020-03-12T08:11:36Z","status":"success"}])",
       "element 0 `id` is not an integer"},
      {R"([{"id":1.5,"createdAt":"2020-03-12T08:11:36Z","updatedAt":"2020-03-12T08:11:36Z","status":"success"}])",
       "element 0 `id` is not an integer"},
      {R"([{"id":1,"createdAt":"yesterday","updatedAt":"2020-03-12T08:11:36Z","status":"success"}])",
       "element 0 `createdAt` is not a timestamp: \"yesterday\""},
      {R"([{"id":1,"createdAt":"2020-03-12T08:11:36Z","updatedAt":5,"status":"success"}])",
       "element 0 `updatedAt` is not a string"},
      {R"([{"id":1,"createdAt":"2020-03-12T08:11:36Z","updatedAt":"2020-03-12T08:11:36Z"}])",
       "element 0 has no `status`"},
      {R"([{"id":1,"createdAt":"2020-03-12T08:11:36Z","updatedAt":"2020-03-12T08:11:36Z","status":"success","tag":{}}])",
       "element 0 `tag` is not a string"},
      {"[] trailing", "malformed JSON"},
  };
  for (const Bad& b : bad) {
    CAPTURE(b.body);
    const Result<std::vector<SyncJob>> p = parse_sync_jobs(b.body);
    REQUIRE_FALSE(p.has_value());
    CHECK(p.error().find(b.error) != std::string::npos);
  }
  SUBCASE("invalid UTF-8 in names is replaced, quotes and newlines kept") {
    const std::string hostile =
        "[{\"id\":1,\"createdAt\":\"2020-03-12T08:11:36Z\",\"updatedAt\":\"2020-03-12T08:11:36Z\","
        "\"status\":\"failed\",\"tag\":\"a\\\"b\\\\c\\nd\xff\"}]";
    const Result<std::vector<SyncJob>> p = parse_sync_jobs(hostile);
    REQUIRE(p.has_value());
    CHECK((*p)[0].tag == "a\"b\\c\nd\xEF\xBF\xBD");
    CHECK(is_valid_utf8((*p)[0].tag));
  }
  REQUIRE(parse_sync_jobs("[]").has_value());
  CHECK(parse_sync_jobs("[]")->empty());
}

TEST_CASE("retry timing") {
  RetryPolicy policy;
  CHECK(backoff_delay(policy, 1, 0.0).count() == 250);
  CHECK(backoff_delay(policy, 1, 1.0).count() == 500);
  CHECK(backoff_delay(policy, 3, 1.0).count() == 2000);
  CHECK(backoff_delay(policy, 30, 1.0) == policy.max_delay);
  CHECK(parse_retry_after("3") == std::chrono::milliseconds(3000));
  CHECK(parse_retry_after(" 0 ") == std::chrono::milliseconds(0));
  CHECK(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == std::nullopt);
  CHECK(parse_retry_after("-1") == std::nullopt);
  RetryBudget budget;
  budget.reset(2);
  CHECK(budget.take());
  CHECK(budget.take());
  CHECK_FALSE(budget.take());
}

TEST_CASE("regression: a body of deeply nested brackets is an error, not a stack overflow") {
  const std::string deep(1 << 20, '[');
  const Result<std::vector<SyncJob>> deep_parsed = parse_sync_jobs(deep);
  REQUIRE_FALSE(deep_parsed.has_value());
  CHECK(deep_parsed.error().starts_with("malformed JSON at byte"));
  CHECK(parse_error_body(deep).code.empty());
  std::string nested = std::string(200000, '[') + std::string(200000, ']');
  CHECK_FALSE(parse_sync_jobs(nested).has_value());
}
