// Hexadecimal digits, the one table: digests, request ids, %XX and \u00XX escapes.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace swr {

// The digit for the low four bits of `value`: lowercase, or uppercase as percent-encoding wants.
constexpr char hex_digit(unsigned value) { return "0123456789abcdef"[value & 0xF]; }
constexpr char hex_digit_upper(unsigned value) { return "0123456789ABCDEF"[value & 0xF]; }

// The value of a hex digit of either case; -1 for anything else.
constexpr int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Two lowercase digits per byte, appended.
inline void append_hex(std::string& out, const unsigned char* data, std::size_t size) {
  for (std::size_t i = 0; i < size; ++i) {
    out.push_back(hex_digit(data[i] >> 4));
    out.push_back(hex_digit(data[i]));
  }
}

inline std::string to_hex(const unsigned char* data, std::size_t size) {
  std::string out;
  out.reserve(2 * size);
  append_hex(out, data, size);
  return out;
}

}  // namespace swr
