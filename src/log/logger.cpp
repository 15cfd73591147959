#include "log/logger.h"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <ctime>
#include <mutex>

#include "model/hex.h"
#include "model/utf8.h"

namespace swr::log {
namespace {

bool is_control(unsigned char c) { return c < 0x20 || c == 0x7F; }

void append_unicode_escape(std::string& out, unsigned char c) {
  out += "\\u00";
  out += hex_digit(c >> 4);
  out += hex_digit(c);
}

enum class Quoting { kLogfmt, kJson };

// Inside the quotes: `"`, `\`, \n, \r and \t as backslash escapes in both formats, \b and \f too
// in JSON; other control characters as \u00XX (in logfmt DEL as well).
void append_quoted(std::string& out, std::string_view value, Quoting quoting) {
  const bool json = quoting == Quoting::kJson;
  out += '"';
  for (const char ch : value) {
    const auto c = static_cast<unsigned char>(ch);
    switch (ch) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
      case '\f':
        if (json) {
          out += ch == '\b' ? "\\b" : "\\f";
        } else {
          append_unicode_escape(out, c);
        }
        break;
      default:
        if (json ? c < 0x20 : is_control(c)) {
          append_unicode_escape(out, c);
        } else {
          out += ch;
        }
    }
  }
  out += '"';
}

void append_logfmt_value(std::string& out, std::string_view raw) {
  const std::string value = sanitize_utf8(raw);
  bool needs_quotes = false;
  for (const char ch : value) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == ' ' || c == '=' || c == '"' || is_control(c)) {
      needs_quotes = true;
      break;
    }
  }
  if (!needs_quotes) {
    out += value;
    return;
  }
  append_quoted(out, value, Quoting::kLogfmt);
}

void append_json_string(std::string& out, std::string_view raw) {
  append_quoted(out, sanitize_utf8(raw), Quoting::kJson);
}

// Keys are written the same way as values so that a careless key cannot break the line either.
void append_logfmt_key(std::string& out, std::string_view key) {
  for (const char ch : sanitize_utf8(key)) {
    const auto c = static_cast<unsigned char>(ch);
    out += (c <= ' ' || c == '=' || c == '"' || c == 0x7F) ? '_' : ch;
  }
}

void write_to_stderr(std::string_view line) {
  std::string buffer;
  buffer.reserve(line.size() + 1);
  buffer.append(line);
  buffer += '\n';
  const char* data = buffer.data();
  std::size_t left = buffer.size();
  while (left > 0) {
    const ssize_t n = ::write(STDERR_FILENO, data, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // Nowhere left to report a failure to log.
    }
    data += n;
    left -= static_cast<std::size_t>(n);
  }
}

struct State {
  std::atomic<Level> level{Level::kInfo};
  std::atomic<Format> format{Format::kLogfmt};
  std::mutex sink_mutex;  // Held while a line is written, so lines never interleave.
  std::function<void(std::string_view)> sink = write_to_stderr;
};

State& state() {
  static State instance;
  return instance;
}

void emit(Level level, std::string_view msg, const Fields& fields) {
  State& s = state();
  if (!enabled(level)) return;
  const std::string line =
      format_line(level, s.format.load(std::memory_order_relaxed),
                  format_timestamp(std::chrono::system_clock::now()), msg, fields);
  const std::lock_guard lock(s.sink_mutex);
  s.sink(line);
}

}  // namespace

std::optional<Level> parse_level(std::string_view text) {
  if (text == "debug") return Level::kDebug;
  if (text == "info") return Level::kInfo;
  if (text == "warn") return Level::kWarn;
  if (text == "error") return Level::kError;
  return std::nullopt;
}

std::optional<Format> parse_format(std::string_view text) {
  if (text == "logfmt") return Format::kLogfmt;
  if (text == "json") return Format::kJson;
  return std::nullopt;
}

std::string_view to_string(Level level) {
  switch (level) {
    case Level::kDebug:
      return "debug";
    case Level::kInfo:
      return "info";
    case Level::kWarn:
      return "warn";
    case Level::kError:
      return "error";
  }
  return "unknown";
}

void configure(Level level, Format format) {
  state().level.store(level, std::memory_order_relaxed);
  state().format.store(format, std::memory_order_relaxed);
}

void set_sink(std::function<void(std::string_view line)> sink) {
  State& s = state();
  const std::lock_guard lock(s.sink_mutex);
  s.sink = sink ? std::move(sink) : write_to_stderr;
}

bool enabled(Level level) { return level >= state().level.load(std::memory_order_relaxed); }

void debug(std::string_view msg, const Fields& fields) { emit(Level::kDebug, msg, fields); }
void info(std::string_view msg, const Fields& fields) { emit(Level::kInfo, msg, fields); }
void warn(std::string_view msg, const Fields& fields) { emit(Level::kWarn, msg, fields); }
void error(std::string_view msg, const Fields& fields) { emit(Level::kError, msg, fields); }

std::string format_line(Level level, Format format, std::string_view ts, std::string_view msg,
                        const Fields& fields) {
  std::string out;
  out.reserve(64 + msg.size());
  if (format == Format::kJson) {
    out += "{\"level\":";
    append_json_string(out, to_string(level));
    out += ",\"ts\":";
    append_json_string(out, ts);
    out += ",\"msg\":";
    append_json_string(out, msg);
    for (const auto& [key, value] : fields) {
      out += ',';
      append_json_string(out, key);
      out += ':';
      append_json_string(out, value);
    }
    out += '}';
    return out;
  }
  out += "level=";
  out += to_string(level);
  out += " ts=";
  append_logfmt_value(out, ts);
  out += " msg=";
  append_logfmt_value(out, msg);
  for (const auto& [key, value] : fields) {
    out += ' ';
    append_logfmt_key(out, key);
    out += '=';
    append_logfmt_value(out, value);
  }
  return out;
}

std::string format_timestamp(std::chrono::system_clock::time_point time) {
  using std::chrono::duration_cast;
  using std::chrono::milliseconds;
  using std::chrono::seconds;
  const auto since_epoch = duration_cast<milliseconds>(time.time_since_epoch());
  auto secs = duration_cast<seconds>(since_epoch);
  auto millis = (since_epoch - secs).count();
  if (millis < 0) {  // Before 1970: floor, so the fraction stays positive.
    secs -= seconds(1);
    millis += 1000;
  }
  const std::time_t t = static_cast<std::time_t>(secs.count());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[64];  // room for any int year, to keep -Wformat-truncation quiet
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(millis));
  return buffer;
}

}  // namespace swr::log
