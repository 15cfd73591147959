#include "app/flags.h"

#include <chrono>
#include <iostream>
#include <map>

#include "probe/probe.h"

namespace swr::app {
namespace {

constexpr const char* kUsage =
    R"(usage: swr-sync-exporter [--config FILE] [--web.listen-address HOST:PORT]
                         [--web.telemetry-path PATH] [--web.config.file FILE]
                         [--log.level debug|info|warn|error]
                         [--log.format logfmt|json] [--shard N --total-shards M]
                         [--web.enable-lifecycle]
                         [--once] [--check-config] [--version] [--help]
       swr-sync-exporter --probe URL [--probe.insecure]

Prometheus exporter for Huawei Cloud SWR image auto-sync jobs. Polls the SWR API in the
background and serves the last result.

  --config FILE                 configuration file (default /etc/swr-sync-exporter/config.toml)
  --web.listen-address ADDR     where to serve (default :10220)
  --web.telemetry-path PATH     path of the metrics (default /metrics)
  --web.config.file FILE        exporter-toolkit web config (YAML): TLS, client certificates,
                                basic auth, response headers; re-read when it changes
  --log.level LEVEL             debug, info, warn or error (default info)
  --log.format FORMAT           logfmt or json (default logfmt)
  --shard N --total-shards M    poll only the repositories whose stable hash falls in shard N
                                of M (overrides [sharding] in the configuration)
  --web.enable-lifecycle        allow POST /-/reload (SIGHUP reloads the configuration too)
  --once                        run one poll cycle, print the metrics on stdout and exit:
                                0 if every repository was fetched, 1 if not
  --check-config                validate the configuration and exit: 0 if valid, 2 if not
  --probe URL                   GET URL (like http://127.0.0.1:10220/-/ready) and exit: 0 on a
                                2xx answer, 1 otherwise with the reason on stderr; 5 s at most,
                                no configuration read (a health check for images without a shell)
  --probe.insecure              with --probe of an https:// URL: skip the certificate check
  --version                     print the version and exit
  --help                        print this help and exit
)";

std::optional<int> parse_count(const std::string& text) {
  if (text.empty() || text.size() > 6) return std::nullopt;
  int value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

}  // namespace

Result<void> parse_flags(int argc, const char* const* argv, Flags& flags) {
  const std::map<std::string, std::string*> valued = {
      {"--config", &flags.config},
      {"--web.listen-address", &flags.listen},
      {"--web.telemetry-path", &flags.telemetry_path},
      {"--web.config.file", &flags.web_config},
      {"--log.level", &flags.log_level},
      {"--log.format", &flags.log_format},
      {"--shard", &flags.shard},
      {"--total-shards", &flags.total_shards},
      {"--probe", &flags.probe}};
  const std::map<std::string, bool*> switches = {
      {"--once", &flags.once},
      {"--web.enable-lifecycle", &flags.enable_lifecycle},
      {"--check-config", &flags.check_config},
      {"--probe.insecure", &flags.probe_insecure},
      {"--version", &flags.version},
      {"--help", &flags.help},
      {"-h", &flags.help}};
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::optional<std::string> inline_value;
    if (const auto eq = arg.find('='); eq != std::string::npos && arg.starts_with("--")) {
      inline_value = arg.substr(eq + 1);
      arg.resize(eq);
    }
    if (auto it = switches.find(arg); it != switches.end()) {
      if (inline_value) return unexpected("flag " + arg + " takes no value");
      *it->second = true;
    } else if (auto v = valued.find(arg); v != valued.end()) {
      if (inline_value) {
        *v->second = *inline_value;
      } else if (i + 1 < argc) {
        *v->second = argv[++i];
      } else {
        return unexpected("flag " + arg + " needs a value");
      }
      if (v->second == &flags.probe && flags.probe.empty()) {
        return unexpected(std::string("--probe needs a URL"));
      }
    } else {
      return unexpected("unknown flag " + arg);
    }
  }
  if (flags.telemetry_path.empty() || flags.telemetry_path.front() != '/') {
    return unexpected(std::string("--web.telemetry-path must start with /"));
  }
  if (flags.probe_insecure && flags.probe.empty()) {
    return unexpected(std::string("--probe.insecure goes with --probe"));
  }
  return {};
}

std::optional<int> parse_command_line(int argc, const char* const* argv, Flags& flags,
                                      const std::string& version, const std::string& revision) {
  if (auto parsed = parse_flags(argc, argv, flags); !parsed) {
    std::cerr << "swr-sync-exporter: " << parsed.error() << "\n\n" << kUsage;
    return 2;
  }
  if (flags.help) {
    std::cout << kUsage;
    return 0;
  }
  if (flags.version) {
    std::cout << "swr-sync-exporter " << version << " (revision " << revision << ")\n";
    return 0;
  }
  if (!flags.probe.empty()) {
    const probe::ProbeResult result =
        probe::probe({flags.probe, std::chrono::seconds(5), flags.probe_insecure});
    (result.ok ? std::cout : std::cerr) << "swr-sync-exporter --probe: " << result.message << "\n";
    return result.ok ? 0 : 1;
  }
  return std::nullopt;
}

Result<void> apply_shard_flags(const Flags& flags, config::Config& config) {
  if (flags.shard.empty() != flags.total_shards.empty()) {
    return unexpected(std::string("--shard and --total-shards go together"));
  }
  if (flags.shard.empty()) return {};
  const auto shard = parse_count(flags.shard);
  const auto total = parse_count(flags.total_shards);
  if (!total || *total < 1) {
    return unexpected(std::string("--total-shards must be a whole number of at least 1"));
  }
  if (!shard || *shard >= *total) {
    return unexpected(std::string("--shard must be a whole number from 0 to --total-shards - 1"));
  }
  config.sharding = {*shard, *total};
  return {};
}

}  // namespace swr::app
