// Structured logging for the exporter: one record per line on stderr, as logfmt or JSON, in the
// shape Prometheus' own tools print (`level`, `ts`, `msg`, then the caller's fields in order).
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace swr::log {

enum class Level { kDebug, kInfo, kWarn, kError };
enum class Format { kLogfmt, kJson };

// Accepts the --log.level / --log.format spellings: debug|info|warn|error and logfmt|json.
std::optional<Level> parse_level(std::string_view text);
std::optional<Format> parse_format(std::string_view text);
std::string_view to_string(Level level);

// Keys are identifiers chosen in code; values come from anywhere and are escaped.
using Fields = std::vector<std::pair<std::string_view, std::string>>;

// Sets the minimum level and the output format for every later record. Thread-safe.
void configure(Level level, Format format);

// Replaces where finished lines go (without the trailing newline). The default sink writes each
// line plus '\n' to stderr in one write(2). Pass nullptr to restore the default. Lines reach the
// sink one at a time, never concurrently.
void set_sink(std::function<void(std::string_view line)> sink);

bool enabled(Level level);

void debug(std::string_view msg, const Fields& fields = {});
void info(std::string_view msg, const Fields& fields = {});
void warn(std::string_view msg, const Fields& fields = {});
void error(std::string_view msg, const Fields& fields = {});

// Pure: renders one record without a trailing newline. Invalid UTF-8 becomes U+FFFD and control
// characters are escaped, so the result is always a single valid UTF-8 line.
std::string format_line(Level level, Format format, std::string_view ts, std::string_view msg,
                        const Fields& fields);

// RFC 3339 UTC with milliseconds, e.g. 2024-05-01T12:34:56.789Z.
std::string format_timestamp(std::chrono::system_clock::time_point time);

}  // namespace swr::log
