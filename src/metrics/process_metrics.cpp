#include "metrics/process_metrics.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <string>
#include <vector>

#include "metrics/family_spec.h"

namespace swr::metrics {
namespace {

template <typename Int>
std::optional<Int> parse_int(std::string_view text) {
  Int value{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// Files under /proc report a size of 0, so read until EOF.
std::optional<std::string> read_proc_file(const char* path) {
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::string content;
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      return std::nullopt;
    }
    if (n == 0) break;
    content.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return content;
}

std::optional<double> count_open_fds() {
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return std::nullopt;
  double count = 0;
  while (const dirent* entry = ::readdir(dir)) {
    const std::string_view name = entry->d_name;
    if (name != "." && name != "..") ++count;
  }
  ::closedir(dir);
  return count;
}

prometheus::MetricFamily one_value(const MetricFamilySpec& spec, double value) {
  prometheus::MetricFamily out = empty_family(spec);
  prometheus::ClientMetric& metric = out.metric.emplace_back();
  if (spec.type == MetricType::kCounter) {
    metric.counter.value = value;
  } else {
    metric.gauge.value = value;
  }
  return out;
}

}  // namespace

std::optional<ProcStat> parse_proc_stat(std::string_view line) {
  const std::size_t close = line.rfind(')');
  if (close == std::string_view::npos) return std::nullopt;
  // Fields after "(comm)", numbered as in proc(5): field 3 (state) has index 0 here.
  std::vector<std::string_view> fields;
  std::string_view rest = line.substr(close + 1);
  while (!rest.empty()) {
    const std::size_t start = rest.find_first_not_of(" \n");
    if (start == std::string_view::npos) break;
    rest.remove_prefix(start);
    const std::size_t end = rest.find_first_of(" \n");
    fields.push_back(rest.substr(0, end));
    rest.remove_prefix(end == std::string_view::npos ? rest.size() : end);
  }
  const auto field = [&](std::size_t proc5_number) { return fields[proc5_number - 3]; };
  if (fields.size() < 24 - 2) return std::nullopt;  // up to field 24 (rss)
  const auto utime = parse_int<std::uint64_t>(field(14));
  const auto stime = parse_int<std::uint64_t>(field(15));
  const auto start = parse_int<std::uint64_t>(field(22));
  const auto vsize = parse_int<std::uint64_t>(field(23));
  const auto rss = parse_int<std::int64_t>(field(24));
  if (!utime || !stime || !start || !vsize || !rss) return std::nullopt;
  return ProcStat{*utime, *stime, *start, *vsize, *rss};
}

std::optional<std::uint64_t> parse_boot_time(std::string_view proc_stat) {
  constexpr std::string_view kKey = "btime ";
  std::size_t pos = 0;
  while (pos < proc_stat.size()) {
    std::size_t end = proc_stat.find('\n', pos);
    if (end == std::string_view::npos) end = proc_stat.size();
    const std::string_view line = proc_stat.substr(pos, end - pos);
    if (line.starts_with(kKey)) {
      std::string_view value = line.substr(kKey.size());
      while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      while (!value.empty() && (value.back() == ' ' || value.back() == '\r'))
        value.remove_suffix(1);
      return parse_int<std::uint64_t>(value);
    }
    pos = end + 1;
  }
  return std::nullopt;
}

std::vector<prometheus::MetricFamily> collect_process_metrics() {
  std::vector<prometheus::MetricFamily> families;
  try {
    const long ticks_per_second = ::sysconf(_SC_CLK_TCK);
    const long page_size = ::sysconf(_SC_PAGESIZE);
    const auto stat_text = read_proc_file("/proc/self/stat");
    const auto stat = stat_text ? parse_proc_stat(*stat_text) : std::nullopt;

    if (stat && ticks_per_second > 0) {
      const double ticks = static_cast<double>(ticks_per_second);
      families.push_back(one_value(
          family::kProcessCpu, static_cast<double>(stat->utime_ticks + stat->stime_ticks) / ticks));
    }
    if (const auto fds = count_open_fds()) {
      families.push_back(one_value(family::kProcessOpenFds, *fds));
    }
    if (rlimit limit{}; ::getrlimit(RLIMIT_NOFILE, &limit) == 0) {
      families.push_back(one_value(family::kProcessMaxFds, static_cast<double>(limit.rlim_cur)));
    }
    if (stat) {
      families.push_back(one_value(family::kProcessVirtualMemory,
                                   static_cast<double>(stat->virtual_memory_bytes)));
    }
    if (stat && page_size > 0) {
      families.push_back(one_value(family::kProcessResidentMemory,
                                   static_cast<double>(stat->resident_pages) * page_size));
    }
    const auto system_stat = read_proc_file("/proc/stat");
    const auto boot_time = system_stat ? parse_boot_time(*system_stat) : std::nullopt;
    if (stat && boot_time && ticks_per_second > 0) {
      const double start = static_cast<double>(*boot_time) +
                           static_cast<double>(stat->start_time_ticks) / ticks_per_second;
      families.push_back(one_value(family::kProcessStartTime, start));
    }
  } catch (...) {
    // Only allocation can fail here; serve whatever was gathered.
  }
  return families;
}

}  // namespace swr::metrics
