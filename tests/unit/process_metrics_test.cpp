#include "metrics/process_metrics.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <string>

namespace {

using swr::metrics::parse_boot_time;
using swr::metrics::parse_proc_stat;

// A real line from a Linux 6.x kernel: 52 fields.
constexpr std::string_view kStatLine =
    "4242 (swr-sync-export) S 1 4242 4242 0 -1 4194560 1500 0 3 0 731 152 0 0 20 0 9 0 "
    "123456 734003200 5120 18446744073709551615 1 1 0 0 0 0 0 4096 17922 0 0 0 17 1 0 0 0 0 "
    "0 0 0 0 0 0 0 0 0\n";

const prometheus::MetricFamily* find(const std::vector<prometheus::MetricFamily>& families,
                                     std::string_view name) {
  const auto it =
      std::find_if(families.begin(), families.end(), [&](const auto& f) { return f.name == name; });
  return it == families.end() ? nullptr : &*it;
}

}  // namespace

TEST_CASE("parse_proc_stat reads the fields after the command name") {
  const auto stat = parse_proc_stat(kStatLine);
  REQUIRE(stat.has_value());
  CHECK(stat->utime_ticks == 731);
  CHECK(stat->stime_ticks == 152);
  CHECK(stat->start_time_ticks == 123456);
  CHECK(stat->virtual_memory_bytes == 734003200);
  CHECK(stat->resident_pages == 5120);
}

TEST_CASE("parse_proc_stat survives spaces and parentheses in the command name") {
  const auto stat = parse_proc_stat(
      "77 (a) b (c)) R 1 77 77 0 -1 0 0 0 0 0 5 6 0 0 20 0 1 0 99 4096 3 0 0 0 0 0 0 0 0 0 0");
  REQUIRE(stat.has_value());
  CHECK(stat->utime_ticks == 5);
  CHECK(stat->stime_ticks == 6);
  CHECK(stat->start_time_ticks == 99);
  CHECK(stat->virtual_memory_bytes == 4096);
  CHECK(stat->resident_pages == 3);
}

TEST_CASE("parse_proc_stat rejects malformed lines") {
  for (const std::string_view line : {
           std::string_view{""},
           std::string_view{"12 no-parenthesis S 1 2 3"},
           std::string_view{"12 (short) S 1 2 3 4 5 6 7 8 9 10 11 12"},
           std::string_view{"1 (x) S 1 1 1 0 -1 0 0 0 0 0 abc 6 0 0 20 0 1 0 99 4096 3 0"},
           std::string_view{"1 (x) S 1 1 1 0 -1 0 0 0 0 0 5 6 0 0 20 0 1 0 99 -4096 3 0"},
       }) {
    CAPTURE(line);
    CHECK_FALSE(parse_proc_stat(line).has_value());
  }
}

TEST_CASE("parse_boot_time finds the btime line") {
  CHECK(parse_boot_time("cpu  1 2 3\nintr 5 6\nctxt 7\nbtime 1714566896\nprocesses 8\n") ==
        1714566896u);
  CHECK(parse_boot_time("btime 42") == 42u);
  CHECK_FALSE(parse_boot_time("cpu 1 2 3\nprocesses 8\n").has_value());
  CHECK_FALSE(parse_boot_time("btime x\n").has_value());
  CHECK_FALSE(parse_boot_time("").has_value());
}

TEST_CASE("collect_process_metrics reads this process") {
  const auto families = swr::metrics::collect_process_metrics();
  for (const std::string_view name :
       {"process_cpu_seconds_total", "process_open_fds", "process_max_fds",
        "process_virtual_memory_bytes", "process_resident_memory_bytes",
        "process_start_time_seconds"}) {
    CAPTURE(name);
    const auto* f = find(families, name);
    REQUIRE(f != nullptr);
    REQUIRE(f->metric.size() == 1);
    CHECK(f->metric[0].label.empty());
    CHECK_FALSE(f->help.empty());
  }
  const auto* cpu = find(families, "process_cpu_seconds_total");
  CHECK(cpu->type == prometheus::MetricType::Counter);
  CHECK(cpu->help == "Total user and system CPU time spent in seconds.");
  CHECK(cpu->metric[0].counter.value >= 0);

  const auto* rss = find(families, "process_resident_memory_bytes");
  CHECK(rss->type == prometheus::MetricType::Gauge);
  CHECK(rss->metric[0].gauge.value > 0);

  CHECK(find(families, "process_open_fds")->metric[0].gauge.value >= 3);

  const double start = find(families, "process_start_time_seconds")->metric[0].gauge.value;
  const double now = static_cast<double>(std::time(nullptr));
  CHECK(start <= now + 1);
  CHECK(start > now - 24 * 3600);  // the test binary started less than a day ago
}
