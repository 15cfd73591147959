// TOML -> Config. toml++ stays behind this header.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "config/config.h"
#include "model/result.h"

namespace swr::config {

// `FILE:LINE:COL: what is wrong`; line and column are 0 when the problem has no place in the
// file (a missing required key is reported at the table that should hold it when known).
struct ConfigError {
  std::string file;
  int line = 0;
  int column = 0;
  std::string message;

  std::string to_string() const;
};

// Looks up environment variables; injectable so tests need not touch the real environment.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;
EnvLookup process_environment();

// The warnings stand whether or not the file loaded, so this is more than a Result.
struct LoadResult {
  Result<Config, ConfigError> config{unexpect, ConfigError{}};
  std::vector<std::string> warnings;  // e.g. a secrets file readable by others
};

LoadResult load_config_file(const std::string& path, const EnvLookup& env);
// For tests and fuzzing: the text as if read from `path`.
LoadResult load_config_text(std::string_view text, const std::string& path, const EnvLookup& env);

// Every key the loader accepts, as "section.key" (the keys of [[targets]] as "targets.key"), in
// the order of the reference: what config/example.toml must show.
std::vector<std::string> known_keys();

// Parses "500ms", "30s", "5m", "1h" (and combinations like "1m30s"). Nothing for bad input.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

}  // namespace swr::config
