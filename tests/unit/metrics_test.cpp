// Metric families from a snapshot: names, labels, help texts, and the rendered bytes.
#include <doctest/doctest.h>
#include <prometheus/text_serializer.h>
#include <zlib.h>

#include <locale>
#include <regex>
#include <set>
#include <sstream>

#include "metrics/api_metrics.h"
#include "metrics/exposition.h"
#include "metrics/snapshot_families.h"
#include "metrics/text_format.h"

using namespace swr;
using namespace swr::collect;

namespace {

Snapshot sample_snapshot() {
  Snapshot s;
  RepositoryState repo;
  repo.ref = {"team-a", "team/app"};
  repo.up = true;
  repo.has_data = true;
  DestinationSummary d;
  d.target_region = "cn-east-3";
  d.target_organization = "team-a";
  d.counts[index_of(SyncStatus::kSuccess)] = 3;
  d.counts[index_of(SyncStatus::kUnknown)] = 1;
  d.last_finished_us[index_of(SyncStatus::kSuccess)] = 1'700'000'000'500'000;
  d.oldest_pending_created_us = 1'700'000'100'000'000;
  d.latest_tag = "v1 \"quoted\" \\ and\nnewline";
  d.latest_status = SyncStatus::kSuccess;
  repo.destinations.push_back(d);
  s.repositories.push_back(repo);
  RepositoryState down;
  down.ref = {"team-b", "gone"};
  s.repositories.push_back(down);
  s.duration_labels = {"organization", "target_region", "status"};
  s.duration_buckets = {1.5, 10};
  s.durations.push_back({{"team-a", "cn-east-3", "success"}, {1, 1, 1}, 3, 30.25});
  s.cycle_done = true;
  s.up = false;
  s.cycle_duration_seconds = 1.25;
  s.last_cycle_end = 1'700'000'200.5;
  return s;
}

std::string gunzip(const std::string& data) {
  z_stream z{};
  REQUIRE(inflateInit2(&z, 15 + 32) == Z_OK);
  std::string out;
  std::size_t consumed = 0;
  // Concatenated members: inflate each in turn.
  while (consumed < data.size()) {
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data() + consumed));
    z.avail_in = static_cast<uInt>(data.size() - consumed);
    char buf[4096];
    int rc;
    do {
      z.next_out = reinterpret_cast<Bytef*>(buf);
      z.avail_out = sizeof buf;
      rc = inflate(&z, Z_NO_FLUSH);
      REQUIRE((rc == Z_OK || rc == Z_STREAM_END));
      out.append(buf, sizeof buf - z.avail_out);
    } while (rc != Z_STREAM_END);
    consumed = data.size() - z.avail_in;
    inflateReset(&z);
  }
  inflateEnd(&z);
  return out;
}

struct CommaDecimal : std::numpunct<char> {
  char do_decimal_point() const override { return ','; }
  char do_thousands_sep() const override { return '.'; }
  std::string do_grouping() const override { return "\3"; }
};

}  // namespace

TEST_CASE("every family name, label and help follows the naming rules") {
  metrics::ApiMetrics api;
  api.record_request("sync_job", "200", 0.1);
  api.set_token_expiry(1.7e9);
  std::vector<prometheus::MetricFamily> families = metrics::snapshot_families(sample_snapshot());
  for (auto& f : api.collect()) families.push_back(std::move(f));
  families.push_back(metrics::build_info_family("0.1.0", "abc"));

  const std::regex name_re("^swr_[a-z0-9_]+$");
  const std::regex label_re("^[a-z_][a-z0-9_]*$");
  const std::set<std::string> forbidden = {"le",       "quantile", "namespace", "region",
                                           "zone",     "cluster",  "service",   "env",
                                           "instance", "job",      "type"};
  std::set<std::string> names;
  for (const auto& f : families) {
    CAPTURE(f.name);
    CHECK(std::regex_match(f.name, name_re));
    CHECK(names.insert(f.name).second);
    CHECK_FALSE(f.help.empty());
    if (f.type == prometheus::MetricType::Counter) CHECK(f.name.ends_with("_total"));
    if (f.name.starts_with("swr_sync_")) CHECK(f.help.find("background poll") != std::string::npos);
    if (f.name.ends_with("_info")) {
      for (const auto& m : f.metric) CHECK(m.gauge.value == 1);
    }
    if (f.name.ends_with("_seconds") || f.name.ends_with("_timestamp_seconds")) {
      CHECK(f.type != prometheus::MetricType::Counter);
    }
    for (const auto& m : f.metric) {
      for (const auto& l : m.label) {
        CHECK(std::regex_match(l.name, label_re));
        CHECK_FALSE(forbidden.count(l.name));
      }
    }
  }
  for (const char* expected :
       {"swr_sync_jobs", "swr_sync_job_duration_seconds",
        "swr_sync_last_finished_timestamp_seconds",
        "swr_sync_oldest_pending_job_created_timestamp_seconds", "swr_sync_latest_job_info",
        "swr_up", "swr_exporter_repository_up", "swr_exporter_cycle_duration_seconds",
        "swr_exporter_last_cycle_timestamp_seconds", "swr_exporter_last_success_timestamp_seconds",
        "swr_exporter_api_requests_total", "swr_exporter_api_request_duration_seconds",
        "swr_exporter_token_expiry_timestamp_seconds", "swr_exporter_build_info"}) {
    CHECK_MESSAGE(names.count(expected), expected);
  }
}

TEST_CASE("the snapshot's series, exactly") {
  const std::string text = metrics::render_text(metrics::snapshot_families(sample_snapshot()));
  const char* lines[] = {
      R"(swr_sync_jobs{organization="team-a",repository="team/app",target_region="cn-east-3",target_organization="team-a",status="success"} 3)",
      R"(swr_sync_jobs{organization="team-a",repository="team/app",target_region="cn-east-3",target_organization="team-a",status="failed"} 0)",
      R"(swr_sync_jobs{organization="team-a",repository="team/app",target_region="cn-east-3",target_organization="team-a",status="unknown"} 1)",
      R"(swr_sync_last_finished_timestamp_seconds{organization="team-a",repository="team/app",target_region="cn-east-3",target_organization="team-a",status="success"} 1700000000.5)",
      R"(swr_sync_oldest_pending_job_created_timestamp_seconds{organization="team-a",repository="team/app",target_region="cn-east-3",target_organization="team-a"} 1700000100)",
      R"(swr_sync_latest_job_info{organization="team-a",repository="team/app",target_region="cn-east-3",target_organization="team-a",tag="v1 \"quoted\" \\ and\nnewline",status="success"} 1)",
      R"(swr_sync_job_duration_seconds_bucket{organization="team-a",target_region="cn-east-3",status="success",le="1.5"} 1)",
      R"(swr_sync_job_duration_seconds_bucket{organization="team-a",target_region="cn-east-3",status="success",le="10"} 2)",
      R"(swr_sync_job_duration_seconds_bucket{organization="team-a",target_region="cn-east-3",status="success",le="+Inf"} 3)",
      R"(swr_sync_job_duration_seconds_sum{organization="team-a",target_region="cn-east-3",status="success"} 30.25)",
      R"(swr_exporter_repository_up{organization="team-b",repository="gone"} 0)",
      R"(swr_up 0)",
      R"(swr_exporter_cycle_duration_seconds 1.25)",
      R"(swr_exporter_last_cycle_timestamp_seconds 1700000200.5)",
  };
  for (const char* line : lines) {
    CAPTURE(line);
    CHECK(text.find(std::string(line) + "\n") != std::string::npos);
  }
  // The repository with no data has no series but its _up.
  CHECK(text.find("repository=\"gone\"} 0\n") != std::string::npos);
  CHECK(text.find("swr_sync_jobs{organization=\"team-b\"") == std::string::npos);
  CHECK(text.find("\nswr_exporter_last_success_timestamp_seconds ") == std::string::npos);
  CHECK(text.find("# TYPE swr_sync_job_duration_seconds histogram") != std::string::npos);
}

TEST_CASE("numbers print with a dot whatever the global locale") {
  const std::locale old =
      std::locale::global(std::locale(std::locale::classic(), new CommaDecimal));
  const std::string text = metrics::render_text(metrics::snapshot_families(sample_snapshot()));
  std::locale::global(old);
  CHECK(text.find("swr_exporter_cycle_duration_seconds 1.25\n") != std::string::npos);
  CHECK(text.find("1700000200.5") != std::string::npos);
}

TEST_CASE("the exposition cache: cycle part rendered once, live part per scrape, gzip members") {
  int live_calls = 0;
  metrics::ExpositionCache cache(
      [&] {
        ++live_calls;
        return std::vector<prometheus::MetricFamily>{metrics::build_info_family("1", "r")};
      },
      std::chrono::hours(1));
  metrics::Rendered before = cache.current();
  CHECK(before.text->find("swr_exporter_build_info") != std::string::npos);
  CHECK(before.text->find("swr_up") == std::string::npos);
  REQUIRE(before.gzip);
  CHECK(gunzip(*before.gzip) == *before.text);

  cache.publish(sample_snapshot());
  const metrics::Rendered after = cache.current();
  CHECK(after.text->find("swr_up 0\n") != std::string::npos);
  CHECK(after.text->find("swr_exporter_build_info") != std::string::npos);
  REQUIRE(after.gzip);
  CHECK(gunzip(*after.gzip) == *after.text);
  CHECK(live_calls == 2);
  // Until the next cycle or live_max_age, scrapes share the same bytes.
  const metrics::Rendered again = cache.current();
  CHECK(again.text == after.text);
  CHECK(again.gzip == after.gzip);
  CHECK(live_calls == 2);
}

TEST_CASE("our text writer gives the samples prometheus-cpp's TextSerializer gives") {
  metrics::ApiMetrics api;
  api.record_request("sync_job", "200", 0.123);
  api.record_request("token", "network", 12.5);
  api.set_token_expiry(1.7e9 + 0.25);
  std::vector<prometheus::MetricFamily> families = metrics::snapshot_families(sample_snapshot());
  for (auto& f : api.collect()) families.push_back(std::move(f));
  families.push_back(metrics::build_info_family("0.1.0", "a\"b\\c\nd"));
  std::ostringstream reference;
  prometheus::TextSerializer().Serialize(reference, families);
  const std::string ours = metrics::render_text(families);
  // Same lines, in the same order; numbers may differ only in spelling (1e+05 vs 100000).
  std::istringstream a(reference.str()), b(ours);
  std::string la, lb;
  int lines = 0;
  while (std::getline(a, la)) {
    REQUIRE(std::getline(b, lb));
    ++lines;
    CAPTURE(la);
    CAPTURE(lb);
    const auto space_a = la.rfind(' '), space_b = lb.rfind(' ');
    if (la.starts_with("#")) {
      CHECK(la == lb);
      continue;
    }
    CHECK(la.substr(0, space_a) == lb.substr(0, space_b));
    CHECK(std::stod(la.substr(space_a + 1)) == std::stod(lb.substr(space_b + 1)));
  }
  CHECK_FALSE(std::getline(b, lb));
  CHECK(lines > 40);
  std::string n;
  for (const double v : {0.0, 3.0, -2.0, 1.25, 1700000200.5, 1e20, 0.1, 1e-7}) {
    n.clear();
    metrics::append_number(n, v);
    CHECK(std::stod(n) == v);
  }
  n.clear();
  metrics::append_number(n, 7200);
  CHECK(n == "7200");
}
