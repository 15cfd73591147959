// Metric families from a snapshot: names, labels, help texts, and the rendered bytes.
#include <doctest/doctest.h>
#include <prometheus/text_serializer.h>
#include <zlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <locale>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "metrics/api_metrics.h"
#include "metrics/exposition.h"
#include "metrics/gzip_stream.h"
#include "metrics/process_metrics.h"
#include "metrics/snapshot_text.h"
#include "metrics/text_format.h"
#include "model/metric_families.h"

using namespace swr;
using namespace swr::collect;

namespace {

Snapshot sample_snapshot() {
  Snapshot s;
  RepositoryState repo;
  repo.ref = {"team-a", "team/app"};
  repo.attempted = true;
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
  d.latest_created_us = 1'700'000'150'250'000;
  repo.destinations.push_back(d);
  repo.last_push_us = 1'700'000'140'000'000;
  repo.sync_rules = std::vector<SyncRule>{{"cn-east-3", "team-a", true, false},
                                          {"cn-south-1", "team \"b\"", false, true}};
  s.repositories.push_back(repo);
  RepositoryState down;
  down.ref = {"team-b", "gone"};
  down.attempted = true;
  down.sync_rules = std::vector<SyncRule>{};  // read: no rules
  s.repositories.push_back(down);
  RepositoryState unread;  // the first pass has not come to it yet
  unread.ref = {"team-c", "later"};
  unread.last_push_us = 1'700'000'000'000'000;
  unread.sync_rules = std::vector<SyncRule>{{"cn-east-3", "team-c", true, true}};
  s.repositories.push_back(unread);
  s.duration_labels = {"organization", "target_region", "status"};
  s.duration_buckets = {1.5, 10};
  s.durations.push_back({{"team-a", "cn-east-3", "success"}, {1, 1, 1}, 3, 30.25});
  s.cycle_done = true;
  s.up = false;
  s.cycle_duration_seconds = 1.25;
  s.last_cycle_end = 1'700'000'200.5;
  s.reads = {10, 3, 2, 1, 4, 0};
  s.repositories_skipped = 7;
  s.oldest_read_age_seconds = 612.5;
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

// One family as the text names it: HELP, TYPE and its samples' names, labels and values.
struct TextFamily {
  std::string help;
  std::string type;
  std::vector<std::pair<std::string, std::vector<std::string>>> samples;  // name, label names
  std::vector<double> values;
};

std::map<std::string, TextFamily> families_of(const std::string& text) {
  std::map<std::string, TextFamily> out;
  std::istringstream in(text);
  std::string line;
  std::string current;
  const std::regex label_re(R"re(([a-zA-Z_][a-zA-Z0-9_]*)="(?:[^"\\]|\\.)*")re");
  while (std::getline(in, line)) {
    if (line.starts_with("# HELP ")) {
      const auto space = line.find(' ', 7);
      current = line.substr(7, space - 7);
      REQUIRE_MESSAGE(!out.count(current), "family twice: " << current);
      out[current].help = line.substr(space + 1);
    } else if (line.starts_with("# TYPE ")) {
      const auto space = line.find(' ', 7);
      REQUIRE(line.substr(7, space - 7) == current);
      out[current].type = line.substr(space + 1);
    } else if (!line.empty()) {
      const auto name_end = line.find_first_of("{ ");
      const std::string name = line.substr(0, name_end);
      REQUIRE_MESSAGE(name.starts_with(current), "sample outside its family: " << line);
      std::vector<std::string> labels;
      const auto close = line.rfind('}');
      if (line[name_end] == '{') {
        const std::string inside = line.substr(name_end + 1, close - name_end - 1);
        for (std::sregex_iterator it(inside.begin(), inside.end(), label_re), e; it != e; ++it) {
          labels.push_back((*it)[1]);
        }
      }
      out[current].samples.emplace_back(name, labels);
      out[current].values.push_back(std::stod(line.substr(line.rfind(' ') + 1)));
    }
  }
  return out;
}

namespace {

// Everything the exporter can serve: the snapshot's families and every live one.
std::vector<prometheus::MetricFamily> all_live_families() {
  metrics::ApiMetrics api;
  api.record_request("sync_job", "200", 0.1);
  api.set_token_expiry(1.7e9);
  std::vector<prometheus::MetricFamily> live = api.collect();
  live.push_back(metrics::build_info_family("0.1.0", "abc"));
  for (auto& f : metrics::shard_families(0, 1)) live.push_back(std::move(f));
  for (auto& f : metrics::reload_families(true, 1.7e9)) live.push_back(std::move(f));
  for (auto& f : metrics::poll_families(60, 10)) live.push_back(std::move(f));
  for (auto& f : metrics::collect_process_metrics()) live.push_back(std::move(f));
  return live;
}

// Every family the exporter serves, rendered: the snapshot's (with every optional series) and
// every live one.
std::string full_exposition() {
  Snapshot s = sample_snapshot();
  s.last_success_end = 1'700'000'000;
  return metrics::snapshot_text(s) + metrics::render_text(all_live_families());
}

const MetricFamilySpec* catalogue_entry(std::string_view name) {
  const auto index = metric_family_index(name);
  return index ? &kMetricFamilies[*index] : nullptr;
}

std::vector<std::string> label_names(const MetricFamilySpec& spec) {
  return {spec.labels.begin(), spec.labels.end()};
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), "cannot read " << path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Each family of `text` is in the catalogue with the same type, help and label names (in order;
// for a histogram whose labels the configuration picks, any of the catalogue's, each once).
void check_against_catalogue(const std::map<std::string, TextFamily>& families) {
  for (const auto& entry : families) {
    const std::string& name = entry.first;  // clang 14: CAPTURE cannot name a structured binding
    const TextFamily& f = entry.second;
    CAPTURE(name);
    const MetricFamilySpec* spec = catalogue_entry(name);
    REQUIRE_MESSAGE(spec != nullptr, name << " is not in the catalogue (model/metric_families.h)");
    CHECK(f.type == type_text(spec->type));
    CHECK(f.help == help_text(*spec));
    for (const auto& entry_sample : f.samples) {
      const std::string& sample = entry_sample.first;  // clang 14: CAPTURE and bindings
      CAPTURE(sample);
      std::vector<std::string> names = entry_sample.second;
      if (spec->type == MetricType::kHistogram) {
        CHECK((sample == name + "_count" || sample == name + "_sum" || sample == name + "_bucket"));
        if (sample.ends_with("_bucket")) {
          REQUIRE((!names.empty() && names.back() == "le"));
          names.pop_back();
        }
      } else {
        CHECK(sample == name);
      }
      if (spec->labels_configured) {
        std::set<std::string> seen;
        for (const std::string& label : names) {
          CHECK_MESSAGE(
              std::find(spec->labels.begin(), spec->labels.end(), label) != spec->labels.end(),
              label << " is not one of the catalogue's labels");
          CHECK(seen.insert(label).second);
        }
      } else {
        CHECK(names == label_names(*spec));
      }
    }
    if (spec->type == MetricType::kInfo) {
      for (const double v : f.values) CHECK(v == 1);
    }
    if (spec->always_on) CHECK(f.samples.size() == 1);
  }
}

}  // namespace

// The naming rules, on the catalogue itself: what a new family must follow before it is written.
TEST_CASE("the metric catalogue follows the naming rules") {
  const std::regex name_re("^(swr|process)_[a-z0-9]+(_[a-z0-9]+)*$");
  const std::regex label_re("^[a-z][a-z0-9]*(_[a-z0-9]+)*$");
  // Target labels Prometheus or the usual relabelling sets, and those reserved by the format.
  const std::set<std::string_view> forbidden = {
      "le",       "quantile", "namespace", "region", "zone", "cluster",      "service", "env",
      "instance", "job",      "type",      "pod",    "node", "exported_job", "__name__"};
  // Units other than the base ones (seconds, bytes) a name must not carry.
  const std::regex wrong_unit(
      "_(milliseconds|ms|microseconds|us|minutes|hours|days|kb|mb|gb|kib|"
      "mib|gib|bits|percent)(_|$)");
  std::set<std::string_view> names;
  for (const MetricFamilySpec& f : kMetricFamilies) {
    const std::string name(f.name);
    CAPTURE(name);
    CHECK(std::regex_match(name, name_re));
    CHECK_MESSAGE(names.insert(f.name).second, "listed twice");
    // Counters and only counters end in _total; a histogram's name is not one of its samples'.
    CHECK((f.type == MetricType::kCounter) == name.ends_with("_total"));
    for (const char* suffix : {"_count", "_sum", "_bucket"}) CHECK_FALSE(name.ends_with(suffix));
    CHECK((f.type == MetricType::kInfo) == name.ends_with("_info"));
    CHECK_FALSE(std::regex_search(name, wrong_unit));
    // Time is in seconds, sizes in bytes.
    for (const char* time_word : {"timestamp", "duration", "_age", "interval", "_time", "cpu"}) {
      if (name.find(time_word) != std::string::npos) {
        CHECK_MESSAGE((name.ends_with("_seconds") || name.ends_with("_seconds_total")),
                      "a time without _seconds: " << time_word);
      }
    }
    if (name.find("memory") != std::string::npos) CHECK(name.ends_with("_bytes"));
    if (name.ends_with("_timestamp_seconds")) CHECK(f.type == MetricType::kGauge);
    if (name.ends_with("_seconds") && f.type != MetricType::kHistogram) {
      CHECK(f.type == MetricType::kGauge);
    }
    // A HELP text that says something, on one line: the snapshot writer does not escape it.
    CHECK(f.help.size() >= 20);
    CHECK(f.help.front() != ' ');
    CHECK(f.help.back() != ' ');
    CHECK(f.help.find_first_of("\\\n") == std::string_view::npos);
    // The repositories' series come from the poll, and say so.
    if (name.starts_with("swr_sync_")) CHECK(f.from_poll);
    if (f.from_poll) CHECK_FALSE(f.help.ends_with("."));
    std::set<std::string_view> labels;
    for (const std::string_view label : f.labels) {
      CAPTURE(label);
      CHECK(std::regex_match(std::string(label), label_re));
      CHECK_FALSE(forbidden.count(label));
      CHECK(labels.insert(label).second);
    }
    // The health gauges are one series each; only the duration histogram's labels are chosen.
    if (f.always_on) CHECK(f.labels.empty());
    if (f.labels_configured) CHECK(f.type == MetricType::kHistogram);
    CHECK(metric_family_index(f.name) == std::optional<std::size_t>(&f - kMetricFamilies.data()));
  }
}

TEST_CASE("the exposition has exactly the catalogue's families, types, help and labels") {
  const auto families = families_of(full_exposition());
  check_against_catalogue(families);
  for (const MetricFamilySpec& f : kMetricFamilies) {
    CHECK_MESSAGE(families.count(std::string(f.name)), f.name << " is never written");
  }
  CHECK(families.size() == kMetricFamilies.size());
}

// The golden files are real expositions: the snapshot renderer's, and the exporter binary's.
TEST_CASE("the golden expositions' families are the catalogue's") {
  for (const char* file : {"/snapshot.prom", "/once.prom"}) {
    CAPTURE(file);
    const auto families = families_of(read_file(std::string(SWR_GOLDEN_DIR) + file));
    CHECK(families.size() > 15);
    check_against_catalogue(families);
  }
}

// Every family is written from its catalogue entry: no name is spelt in a string anywhere else.
TEST_CASE("no family name is spelt in src/ outside the catalogue") {
  const std::filesystem::path src = std::filesystem::path(SWR_SOURCE_DIR) / "src";
  const std::filesystem::path catalogue = src / "model" / "metric_families.h";
  const std::regex literal(R"re("((?:swr|process)_[a-z0-9_]*))re");
  int files = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(src)) {
    const auto& path = entry.path();
    if (!entry.is_regular_file() || path == catalogue) continue;
    if (path.extension() != ".cpp" && path.extension() != ".h") continue;
    ++files;
    const std::string text = read_file(path.string());
    for (std::sregex_iterator it(text.begin(), text.end(), literal), end; it != end; ++it) {
      std::string name = (*it)[1];
      for (const char* suffix : {"_bucket", "_count", "_sum"}) {
        if (name.ends_with(suffix) && !catalogue_entry(name)) {
          name.resize(name.size() - std::string_view(suffix).size());
        }
      }
      CHECK_MESSAGE(!catalogue_entry(name),
                    path.string() << " spells \"" << (*it)[1] << "\": use its catalogue entry");
    }
  }
  CHECK(files > 50);
}

TEST_CASE("the snapshot's series, exactly") {
  const std::string text = metrics::snapshot_text(sample_snapshot());
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
      R"(swr_sync_latest_job_created_timestamp_seconds{organization="team-a",repository="team/app",target_region="cn-east-3",target_organization="team-a"} 1700000150.25)",
      R"(swr_repository_last_push_timestamp_seconds{organization="team-a",repository="team/app"} 1700000140)",
      R"(swr_sync_rule_info{organization="team-a",repository="team/app",target_region="cn-east-3",target_organization="team-a",sync_auto="true",override="false"} 1)",
      R"(swr_sync_rule_info{organization="team-a",repository="team/app",target_region="cn-south-1",target_organization="team \"b\"",sync_auto="false",override="true"} 1)",
      R"(swr_up 0)",
      R"(swr_exporter_cycle_duration_seconds 1.25)",
      R"(swr_exporter_last_cycle_timestamp_seconds 1700000200.5)",
      R"(swr_exporter_initial_pass_complete 0)",
      R"(swr_exporter_repository_reads_total{reason="new"} 10)",
      R"(swr_exporter_repository_reads_total{reason="changed"} 3)",
      R"(swr_exporter_repository_reads_total{reason="pending"} 2)",
      R"(swr_exporter_repository_reads_total{reason="retry"} 1)",
      R"(swr_exporter_repository_reads_total{reason="recheck"} 4)",
      R"(swr_exporter_repository_reads_total{reason="fallback"} 0)",
      R"(swr_exporter_repositories_skipped 7)",
      R"(swr_exporter_oldest_repository_read_age_seconds 612.5)",
  };
  for (const char* line : lines) {
    CAPTURE(line);
    CHECK(text.find(std::string(line) + "\n") != std::string::npos);
  }
  // The repository with no data has no series but its _up.
  CHECK(text.find("repository=\"gone\"} 0\n") != std::string::npos);
  CHECK(text.find("swr_sync_jobs{organization=\"team-b\"") == std::string::npos);
  // A repository not read yet has no series at all, not even an _up of 0.
  CHECK(text.find("team-c") == std::string::npos);
  CHECK(text.find("\nswr_exporter_last_success_timestamp_seconds ") == std::string::npos);
  CHECK(text.find("# TYPE swr_sync_job_duration_seconds histogram") != std::string::npos);
  // A repository read and found without rules has no rule series; nor one with no data a
  // latest-job series.
  CHECK(text.find("swr_sync_rule_info{organization=\"team-b\"") == std::string::npos);
  CHECK(text.find("swr_sync_latest_job_created_timestamp_seconds{organization=\"team-b\"") ==
        std::string::npos);
}

TEST_CASE("numbers print with a dot whatever the global locale") {
  const std::locale old =
      std::locale::global(std::locale(std::locale::classic(), new CommaDecimal));
  const std::string text = metrics::snapshot_text(sample_snapshot());
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
  const auto gzip_of = [](const metrics::Rendered& r) {
    std::string out;
    CHECK(r.write_gzip([&](std::string_view bytes) {
      out += bytes;
      return true;
    }));
    CHECK(out.size() == r.gzip_size());
    return out;
  };
  metrics::Rendered before = cache.current();
  CHECK(before.text().find("swr_exporter_build_info") != std::string::npos);
  CHECK(before.text().find("swr_up") == std::string::npos);
  CHECK(before.text().size() == before.text_size());
  CHECK(gunzip(gzip_of(before)) == before.text());

  cache.publish(sample_snapshot());
  const metrics::Rendered after = cache.current();
  const std::string text = after.text();
  CHECK(text.find("swr_up 0\n") != std::string::npos);
  CHECK(text.find("swr_exporter_build_info") != std::string::npos);
  CHECK(text.starts_with(metrics::snapshot_text(sample_snapshot())));
  CHECK(text.size() == after.text_size());
  CHECK(gunzip(gzip_of(after)) == text);
  CHECK(live_calls == 2);
  // Until the next cycle or live_max_age, scrapes share the same bytes.
  const metrics::Rendered again = cache.current();
  CHECK(again.cycle == after.cycle);
  CHECK(again.live_gzip == after.live_gzip);
  CHECK(live_calls == 2);
}

TEST_CASE("the repositories' series are rendered again only when the data version changes") {
  metrics::ExpositionCache cache([] { return std::vector<prometheus::MetricFamily>{}; },
                                 std::chrono::hours(1));
  Snapshot s = sample_snapshot();
  s.data_version = 7;
  cache.publish(s);
  const metrics::Rendered first = cache.current();

  // Same version, a later cycle: the repositories' member is the same bytes, the gauges are new.
  Snapshot later = s;
  later.cycle_duration_seconds = 42.5;
  later.repositories.clear();  // never looked at: the version says nothing changed
  cache.publish(later);
  const metrics::Rendered second = cache.current();
  CHECK(second.cycle->repositories == first.cycle->repositories);
  CHECK(second.text().find("swr_exporter_cycle_duration_seconds 42.5\n") != std::string::npos);
  CHECK(second.text().starts_with(metrics::snapshot_text(s).substr(0, 200)));
  CHECK(gunzip([&] {
          std::string out;
          second.write_gzip([&](std::string_view b) {
            out += b;
            return true;
          });
          return out;
        }()) == second.text());

  // A new version, or none (0), is rendered.
  later.data_version = 8;
  cache.publish(later);
  CHECK(cache.current().cycle->repositories != first.cycle->repositories);
  CHECK(cache.current().text() == metrics::snapshot_text(later));
  Snapshot unversioned = sample_snapshot();
  cache.publish(unversioned);
  const auto a = cache.current().cycle->repositories;
  cache.publish(unversioned);
  CHECK(cache.current().cycle->repositories != a);
  CHECK(cache.current().text() == metrics::snapshot_text(unversioned));
}

TEST_CASE("gzip streams: many writes make one member; the reader gives back every byte") {
  std::string text;
  for (int i = 0; i < 200000; ++i)
    text += "swr_sync_jobs{repository=\"r" + std::to_string(i) + "\"} 1\n";
  metrics::GzipWriter writer;
  for (std::size_t at = 0; at < text.size(); at += 777)
    writer.write(std::string_view(text).substr(at, 777));
  CHECK(writer.bytes_in() == text.size());
  const std::string member = writer.finish();
  CHECK(member.size() < text.size() / 4);
  CHECK(gunzip(member) == text);

  // Two members read as one stream, in small reads.
  const std::string two = member + metrics::gzip("tail\n");
  metrics::GunzipReader reader(two);
  std::string back;
  char buf[1000];
  while (const std::size_t n = reader.read(buf, sizeof buf)) back.append(buf, n);
  CHECK(reader.ok());
  CHECK(back == text + "tail\n");

  // Cut short or corrupt: the reader says so instead of ending quietly.
  metrics::GunzipReader cut(std::string_view(member).substr(0, member.size() / 2));
  while (cut.read(buf, sizeof buf) > 0) {
  }
  CHECK_FALSE(cut.ok());
  std::string corrupt = member;
  corrupt[corrupt.size() / 2] ^= 0x55;
  metrics::GunzipReader bad(corrupt);
  while (bad.read(buf, sizeof buf) > 0) {
  }
  CHECK_FALSE(bad.ok());
}

TEST_CASE("our text writer gives the samples prometheus-cpp's TextSerializer gives") {
  metrics::ApiMetrics api;
  api.record_request("sync_job", "200", 0.123);
  api.record_request("token", "network", 12.5);
  api.set_token_expiry(1.7e9 + 0.25);
  std::vector<prometheus::MetricFamily> families = api.collect();
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
  CHECK(lines > 20);
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

TEST_CASE("disabled families are absent from the snapshot's text; the others are untouched") {
  const Snapshot s = sample_snapshot();
  const auto all = families_of(metrics::snapshot_text(s));
  const std::vector<std::string> off = {"swr_sync_jobs", "swr_sync_job_duration_seconds",
                                        "swr_exporter_repository_reads_total",
                                        "swr_exporter_cycle_duration_seconds"};
  const auto some = families_of(metrics::snapshot_text(s, MetricFamilySelection::without(off)));
  for (const std::string& name : off) {
    CAPTURE(name);
    CHECK_FALSE(some.count(name));
  }
  CHECK(some.size() + off.size() == all.size());
  for (const auto& entry : some) {
    const std::string& name = entry.first;  // clang 14: CAPTURE cannot name a structured binding
    const TextFamily& family = entry.second;
    CAPTURE(name);
    REQUIRE(all.count(name));
    CHECK(family.help == all.at(name).help);
    CHECK(family.samples == all.at(name).samples);
    CHECK(family.values == all.at(name).values);
  }
  // The always-on ones cannot be turned off, whatever the selection says.
  const auto health = families_of(metrics::snapshot_text(
      s, MetricFamilySelection::without({"swr_up", "swr_exporter_initial_pass_complete"})));
  CHECK(health.count("swr_up"));
  CHECK(health.count("swr_exporter_initial_pass_complete"));
  // Every family off that can be: only the health gauges are left.
  std::vector<std::string> every;
  for (const MetricFamilySpec& f : kMetricFamilies) every.emplace_back(f.name);
  const auto bare = families_of(metrics::snapshot_text(s, MetricFamilySelection::without(every)));
  std::set<std::string> left;
  for (const auto& entry : bare) left.insert(entry.first);
  CHECK(left == std::set<std::string>{"swr_up", "swr_exporter_last_cycle_timestamp_seconds",
                                      "swr_exporter_last_success_timestamp_seconds",
                                      "swr_exporter_initial_pass_complete"});
}

TEST_CASE("the exposition cache serves only the selected families, live ones included") {
  metrics::ExpositionCache cache(all_live_families, std::chrono::hours(1));
  Snapshot s = sample_snapshot();
  s.data_version = 3;
  cache.publish(s);
  const std::string before = cache.current().text();
  CHECK(before.find("\nswr_sync_latest_job_info{") != std::string::npos);
  CHECK(before.find("\nprocess_open_fds ") != std::string::npos);

  cache.select(MetricFamilySelection::without(
      {"swr_sync_latest_job_info", "process_open_fds", "swr_exporter_api_requests_total"}));
  // The live part follows at once; the repositories' part with the next publish, even when the
  // data version is the same.
  std::string text = cache.current().text();
  CHECK(text.find("process_open_fds") == std::string::npos);
  CHECK(text.find("swr_exporter_api_requests_total") == std::string::npos);
  CHECK(text.find("\nprocess_max_fds ") != std::string::npos);
  cache.publish(s);
  text = cache.current().text();
  CHECK(text.find("swr_sync_latest_job_info") == std::string::npos);
  CHECK(text.find("\nswr_sync_jobs{") != std::string::npos);
  CHECK(text.find("\nswr_exporter_api_request_duration_seconds_count{") != std::string::npos);
  CHECK(gunzip([&] {
          std::string out;
          cache.current().write_gzip([&](std::string_view b) {
            out += b;
            return true;
          });
          return out;
        }()) == text);

  cache.select({});
  cache.publish(s);
  CHECK(cache.current().text().find("\nswr_sync_latest_job_info{") != std::string::npos);
}
