// `swr-sync-exporter --once` against swr-sim serving a static world (tests/data/known_world.json):
// its whole stdout diffed exactly against tests/golden/once.prom once the values that depend on
// the clock and the process are masked (kMasked says which; README.md in this folder says why).
#include <doctest/doctest.h>

#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "golden.h"
#include "harness.h"

using namespace swr::test;
using namespace std::chrono_literals;

namespace {

// Samples whose value depends on when and how fast the run went, or on the process itself. A
// masked value is written NaN, so the golden file stays valid for promtool.
const std::set<std::string, std::less<>> kMasked = {
    // When the cycle ran and how long it took.
    "swr_exporter_cycle_duration_seconds",
    "swr_exporter_last_cycle_timestamp_seconds",
    "swr_exporter_last_success_timestamp_seconds",
    "swr_exporter_oldest_repository_read_age_seconds",
    "swr_exporter_config_last_reload_success_timestamp_seconds",
    // How long each request took: the _count of each call stays.
    "swr_exporter_api_request_duration_seconds_sum",
    "swr_exporter_api_request_duration_seconds_bucket",
    // The process itself.
    "process_cpu_seconds_total",
    "process_open_fds",
    "process_max_fds",
    "process_virtual_memory_bytes",
    "process_resident_memory_bytes",
    "process_start_time_seconds",
};

// The build's git revision: the label's value, not the series.
const std::regex kRevision(R"re(^(swr_exporter_build_info\{.*revision=")[^"]*(".*)$)re");

std::string mask(const std::string& exposition) {
  std::istringstream in(exposition);
  std::string out;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.starts_with("#")) {
      const std::string name = line.substr(0, line.find_first_of("{ "));
      if (kMasked.count(name)) line = line.substr(0, line.rfind(' ')) + " NaN";
      line = std::regex_replace(line, kRevision, "$1MASKED$2");
    }
    out += line;
    out += '\n';
  }
  return out;
}

}  // namespace

TEST_CASE("golden: --once against a static swr-sim world (tests/golden/once.prom)") {
  Sim sim("data = \"" + data_dir() + "/known_world.json\"\n");
  TempDir dir;
  const std::string config = dir.write(
      "exporter.toml",
      exporter_config(sim, aksk_auth(),
                      "[scrape]\ntimeout = \"5s\"\n\n[[targets]]\norganization = \"team-a\"\n"
                      "repositories = [\"app1\", \"team/app2\"]\n"));
  // run() adds --log.level debug when it keeps logs in SWR_TEST_LOG_DIR; said here as well, so
  // the run is the same without it.
  const RunResult r =
      run({exporter_binary(), "--config", config, "--once", "--log.level", "debug"}, 120s);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.err.find(kSimSecretKey) == std::string::npos);
  // The unmasked output passes promtool too, not only the golden file.
  CHECK(promtool_check_metrics(r.out) == "");
  check_golden(std::string(SWR_GOLDEN_DIR) + "/once.prom", mask(r.out));
}
