// The command line: what each flag means, and the ones that end the program before it serves
// (usage errors, --help, --version, --probe).
#pragma once

#include <optional>
#include <string>

#include "config/config.h"
#include "model/result.h"

namespace swr::app {

struct Flags {
  std::string config = "/etc/swr-sync-exporter/config.toml";
  std::string listen = ":10220";
  std::string telemetry_path = "/metrics";
  std::string web_config;
  std::string log_level = "info";
  std::string log_format = "logfmt";
  std::string shard;
  std::string total_shards;
  std::string probe;
  bool probe_insecure = false;
  bool enable_lifecycle = false;
  bool once = false;
  bool check_config = false;
  bool version = false;
  bool help = false;
};

// Accepts `--flag value` and `--flag=value`. Says what was wrong on bad usage.
Result<void> parse_flags(int argc, const char* const* argv, Flags& flags);

// Parses the command line and handles what ends the program at once (a usage error, --help,
// --version, --probe): its exit code then, nothing when the exporter is to go on.
std::optional<int> parse_command_line(int argc, const char* const* argv, Flags& flags,
                                      const std::string& version, const std::string& revision);

// --shard and --total-shards override [sharding], or say what was wrong with them.
Result<void> apply_shard_flags(const Flags& flags, config::Config& config);

}  // namespace swr::app
