// The standard process_* metrics every exporter is expected to serve, read from /proc/self with
// the names and HELP texts of the Prometheus Go client (model/metric_families.h).
#pragma once

#include <prometheus/metric_family.h>

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace swr::metrics {

// The fields of /proc/self/stat we use, in the kernel's units (see proc(5)).
struct ProcStat {
  std::uint64_t utime_ticks = 0;
  std::uint64_t stime_ticks = 0;
  std::uint64_t start_time_ticks = 0;  // since boot
  std::uint64_t virtual_memory_bytes = 0;
  std::int64_t resident_pages = 0;
};

// Parses one /proc/<pid>/stat line. The comm field may hold spaces and parentheses, so fields are
// counted from the last ')'. Returns nullopt on anything malformed.
std::optional<ProcStat> parse_proc_stat(std::string_view line);

// The `btime` line of /proc/stat: boot time in seconds since the epoch.
std::optional<std::uint64_t> parse_boot_time(std::string_view proc_stat);

// Reads /proc/self and returns the families it could read; a metric whose source cannot be read
// is left out. Never throws.
std::vector<prometheus::MetricFamily> collect_process_metrics();

}  // namespace swr::metrics
