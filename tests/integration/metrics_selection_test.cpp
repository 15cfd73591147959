// [metrics] enabled/disabled end to end: what --once prints and /metrics serves, checked by
// promtool; mistakes stop --check-config with FILE:LINE:COL.
#include <doctest/doctest.h>

#include <set>
#include <thread>

#include "harness.h"

using namespace swr::test;
using namespace std::chrono_literals;

namespace {

std::string targets() {
  return "[[targets]]\norganization = \"team-a\"\nrepositories = [\"app1\", \"team/app2\"]\n";
}

}  // namespace

TEST_CASE("[metrics] disabled: the families are absent, the rest exact and promtool-clean") {
  Sim sim("data = \"" + data_dir() + "/known_world.json\"\n");
  TempDir dir;
  const std::string all = dir.write("all.toml", exporter_config(sim, aksk_auth(), targets()));
  const std::string some =
      dir.write("some.toml", exporter_config(sim, aksk_auth(),
                                             "[metrics]\ndisabled = [\"swr_sync_latest_job_info\", "
                                             "\"swr_exporter_api_*\", \"process_*\"]\n\n" +
                                                 targets()));
  const RunResult full = run({exporter_binary(), "--config", all, "--once"});
  const RunResult cut = run({exporter_binary(), "--config", some, "--once"});
  REQUIRE_MESSAGE(full.exit_code == 0, full.err);
  REQUIRE_MESSAGE(cut.exit_code == 0, cut.err);
  CHECK(promtool_check_metrics(cut.out) == "");

  const Samples before = parse_exposition(full.out);
  const Samples after = parse_exposition(cut.out);
  CHECK_FALSE(samples_of(before, "swr_sync_latest_job_info").empty());
  for (const char* gone : {"swr_sync_latest_job_info", "swr_exporter_api_requests_total",
                           "swr_exporter_api_request_duration_seconds_count", "process_open_fds",
                           "process_start_time_seconds"}) {
    CAPTURE(gone);
    CHECK(samples_of(after, gone).empty());
    CHECK(cut.out.find(std::string("# TYPE ") + gone) == std::string::npos);
  }
  // Every swr_sync_* series but the disabled family, with the same values.
  std::size_t compared = 0;
  for (const auto& sample : before) {
    const std::string& key = sample.first;  // clang 14: CAPTURE cannot name a structured binding
    if (!key.starts_with("swr_sync_") || key.starts_with("swr_sync_latest_job_info")) continue;
    CAPTURE(key);
    REQUIRE(after.count(key));
    CHECK(after.at(key) == sample.second);
    ++compared;
  }
  CHECK(compared > 20);
  CHECK(value(after, "swr_up") == 1);
  CHECK_FALSE(samples_of(after, "swr_exporter_build_info").empty());
}

TEST_CASE("[metrics] enabled: only those, plus the health gauges; served over HTTP the same") {
  Sim sim("data = \"" + data_dir() + "/known_world.json\"\n");
  TempDir dir;
  const std::string config =
      dir.write("exporter.toml",
                exporter_config(
                    sim, aksk_auth(),
                    "[metrics]\nenabled = [\"swr_sync_jobs\", \"swr_exporter_repository_up\"]\n\n" +
                        targets()));
  Exporter exporter(dir, config);
  std::string text;
  for (int i = 0; i < 300; ++i) {
    text = exporter.metrics_text();
    if (text.find("\nswr_up 1\n") != std::string::npos) break;
    std::this_thread::sleep_for(50ms);
  }
  CHECK(promtool_check_metrics(text) == "");
  std::set<std::string> families;
  for (std::size_t at = text.find("# TYPE "); at != std::string::npos;
       at = text.find("# TYPE ", at + 1)) {
    families.insert(text.substr(at + 7, text.find(' ', at + 7) - at - 7));
  }
  CHECK(families == std::set<std::string>{"swr_sync_jobs", "swr_exporter_repository_up", "swr_up",
                                          "swr_exporter_last_cycle_timestamp_seconds",
                                          "swr_exporter_last_success_timestamp_seconds",
                                          "swr_exporter_initial_pass_complete",
                                          "swr_exporter_poll_interval_seconds",
                                          "swr_exporter_credentials_refused"});
}

TEST_CASE("[metrics] mistakes stop --check-config and the start with FILE:LINE:COL, exit 2") {
  TempDir dir;
  const std::string head =
      "[huaweicloud]\nregion = \"cn-north-4\"\n[auth]\naccess_key = \"a\"\nsecret_key = \"b\"\n";
  const std::string typo =
      dir.write("typo.toml", head + "[metrics]\ndisabled = [\"process_*\", \"swr_sync_job\"]\n");
  RunResult r = run({exporter_binary(), "--config", typo, "--check-config"});
  CHECK(r.exit_code == 2);
  CHECK(r.err == typo +
                     ":7:26: metrics.disabled[1] \"swr_sync_job\" is not a metric family; did you "
                     "mean `swr_sync_jobs`?\n");
  const std::string both = dir.write(
      "both.toml", head + "[metrics]\nenabled = [\"swr_sync_*\"]\ndisabled = [\"process_*\"]\n");
  r = run({exporter_binary(), "--config", both, "--once"});
  CHECK(r.exit_code == 2);
  CHECK(r.err.starts_with(both + ":8:12: metrics.enabled and metrics.disabled are both set"));
  const std::string nothing =
      dir.write("nothing.toml", head + "[metrics]\nenabled = [\"swr_synk_*\"]\n");
  r = run({exporter_binary(), "--config", nothing, "--check-config"});
  CHECK(r.exit_code == 2);
  CHECK(r.err.starts_with(nothing +
                          ":7:12: metrics.enabled[0] \"swr_synk_*\" matches no metric family"));
}
