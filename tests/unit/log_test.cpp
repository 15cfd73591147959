#include <doctest/doctest.h>

#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "log/logger.h"

namespace {

using swr::log::Fields;
using swr::log::Format;
using swr::log::Level;

constexpr std::string_view kTs = "2024-05-01T12:34:56.789Z";

// Restores the global logger however a test ends.
struct CapturedLog {
  std::mutex mutex;
  std::vector<std::string> lines;

  CapturedLog() {
    swr::log::set_sink([this](std::string_view line) {
      const std::lock_guard lock(mutex);
      lines.emplace_back(line);
    });
  }
  ~CapturedLog() {
    swr::log::set_sink(nullptr);
    swr::log::configure(Level::kInfo, Format::kLogfmt);
  }
};

}  // namespace

TEST_CASE("parse_level and parse_format accept the flag spellings only") {
  CHECK(swr::log::parse_level("debug") == Level::kDebug);
  CHECK(swr::log::parse_level("info") == Level::kInfo);
  CHECK(swr::log::parse_level("warn") == Level::kWarn);
  CHECK(swr::log::parse_level("error") == Level::kError);
  CHECK_FALSE(swr::log::parse_level("warning").has_value());
  CHECK_FALSE(swr::log::parse_level("").has_value());
  CHECK(swr::log::parse_format("logfmt") == Format::kLogfmt);
  CHECK(swr::log::parse_format("json") == Format::kJson);
  CHECK_FALSE(swr::log::parse_format("text").has_value());
}

TEST_CASE("logfmt lines") {
  struct Row {
    std::string_view name;
    std::string msg;
    Fields fields;
    std::string want;
  };
  const std::vector<Row> rows = {
      {"plain", "started", {}, "level=info ts=2024-05-01T12:34:56.789Z msg=started"},
      {"fields in order",
       "poll failed",
       {{"organization", "org-a"}, {"repository", "web/app"}, {"code", "SVCSTG.SWR.4010"}},
       R"(level=info ts=2024-05-01T12:34:56.789Z msg="poll failed" organization=org-a )"
       R"(repository=web/app code=SVCSTG.SWR.4010)"},
      {"quotes, equals, backslash",
       "m",
       {{"err", R"(say "hi" a=b c\d)"}},
       R"(level=info ts=2024-05-01T12:34:56.789Z msg=m err="say \"hi\" a=b c\\d")"},
      {"backslash alone stays bare",
       "m",
       {{"path", R"(a\b)"}},
       R"(level=info ts=2024-05-01T12:34:56.789Z msg=m path=a\b)"},
      {"newline and control characters",
       "line1\nline2",
       {{"err", std::string("a\tb\x01", 4)}},
       R"(level=info ts=2024-05-01T12:34:56.789Z msg="line1\nline2" err="a\tb\u0001")"},
      {"empty value",
       "m",
       {{"request_id", ""}},
       "level=info ts=2024-05-01T12:34:56.789Z msg=m request_id="},
      {"invalid utf-8 becomes U+FFFD",
       "m",
       {{"body", "ok\xff\xc3("}},
       "level=info ts=2024-05-01T12:34:56.789Z msg=m body=ok\xEF\xBF\xBD\xEF\xBF\xBD("},
      {"valid multi-byte utf-8 is kept",
       "m",
       {{"repo", "r\xC3\xA9po-\xF0\x9F\x90\xB3"}},
       "level=info ts=2024-05-01T12:34:56.789Z msg=m repo=r\xC3\xA9po-\xF0\x9F\x90\xB3"},
  };
  for (const auto& row : rows) {
    CAPTURE(row.name);
    CHECK(swr::log::format_line(Level::kInfo, Format::kLogfmt, kTs, row.msg, row.fields) ==
          row.want);
  }
}

TEST_CASE("json lines") {
  CHECK(swr::log::format_line(Level::kWarn, Format::kJson, kTs, "throttled",
                              {{"api", "ListSyncJobs"}, {"code", "429"}}) ==
        R"({"level":"warn","ts":"2024-05-01T12:34:56.789Z","msg":"throttled",)"
        R"("api":"ListSyncJobs","code":"429"})");
  CHECK(swr::log::format_line(Level::kError, Format::kJson, kTs, "q\"b\\",
                              {{"err", std::string("a\nb\x1f\x7f", 5)}}) ==
        R"({"level":"error","ts":"2024-05-01T12:34:56.789Z","msg":"q\"b\\",)"
        "\"err\":\"a\\nb\\u001f\x7f\"}");
  // Overlong encoding, lone surrogate and a truncated sequence are each replaced.
  CHECK(
      swr::log::format_line(Level::kDebug, Format::kJson, kTs, "\xC0\xAF|\xED\xA0\x80|\xE2\x82",
                            {}) ==
      "{\"level\":\"debug\",\"ts\":\"2024-05-01T12:34:56.789Z\",\"msg\":\""
      "\xEF\xBF\xBD\xEF\xBF\xBD|\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD|\xEF\xBF\xBD\xEF\xBF\xBD\"}");
}

TEST_CASE("format_timestamp is RFC 3339 UTC with milliseconds") {
  using namespace std::chrono;
  CHECK(swr::log::format_timestamp(system_clock::time_point{}) == "1970-01-01T00:00:00.000Z");
  const auto t = system_clock::time_point{seconds{1714566896} + milliseconds{789}};
  CHECK(swr::log::format_timestamp(t) == "2024-05-01T12:34:56.789Z");
  CHECK(swr::log::format_timestamp(system_clock::time_point{milliseconds{-1}}) ==
        "1969-12-31T23:59:59.999Z");
}

TEST_CASE("records below the configured level are dropped") {
  CapturedLog log;
  swr::log::configure(Level::kWarn, Format::kLogfmt);
  CHECK_FALSE(swr::log::enabled(Level::kInfo));
  CHECK(swr::log::enabled(Level::kError));
  swr::log::info("hidden");
  swr::log::warn("shown", {{"organization", "org-a"}});
  REQUIRE(log.lines.size() == 1);
  CHECK(log.lines[0].starts_with("level=warn ts="));
  CHECK(log.lines[0].ends_with(" msg=shown organization=org-a"));

  swr::log::configure(Level::kDebug, Format::kJson);
  swr::log::debug("now json");
  REQUIRE(log.lines.size() == 2);
  CHECK(log.lines[1].starts_with(R"({"level":"debug","ts":")"));
}

TEST_CASE("concurrent records arrive whole, one per sink call") {
  CapturedLog log;
  constexpr int kThreads = 4;
  constexpr int kPerThread = 200;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([t] {
      for (int i = 0; i < kPerThread; ++i) {
        swr::log::info("tick", {{"thread", std::to_string(t)}, {"i", std::to_string(i)}});
      }
    });
  }
  for (auto& thread : threads) thread.join();
  REQUIRE(log.lines.size() == kThreads * kPerThread);
  for (const auto& line : log.lines) {
    CHECK(line.find('\n') == std::string::npos);
    CHECK(line.starts_with("level=info ts="));
  }
}
