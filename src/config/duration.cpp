// parse_duration: Prometheus-style durations restricted to h, m, s and ms, largest unit first.
#include <array>
#include <cstdint>
#include <limits>

#include "config/config_loader.h"

namespace swr::config {

namespace {

struct Unit {
  std::string_view suffix;
  std::int64_t milliseconds;
};

// Order matters twice: units must appear largest first, and "ms" must be tried before "m".
constexpr std::array<Unit, 4> kUnits{{{"h", 3'600'000}, {"ms", 1}, {"m", 60'000}, {"s", 1'000}}};

int rank(std::string_view suffix) {
  if (suffix == "h") return 0;
  if (suffix == "m") return 1;
  if (suffix == "s") return 2;
  return 3;  // ms
}

}  // namespace

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  // About 292 thousand years: far beyond any sensible setting, far from overflow.
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max() / 1'000'000;
  if (text.empty()) return std::nullopt;
  std::int64_t total = 0;
  int last_rank = -1;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::int64_t number = 0;
    const std::size_t digits_begin = pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      number = number * 10 + (text[pos] - '0');
      if (number > kMax) return std::nullopt;
      ++pos;
    }
    if (pos == digits_begin) return std::nullopt;  // a unit without a number, or a sign
    const Unit* unit = nullptr;
    for (const Unit& candidate : kUnits) {
      if (text.substr(pos, candidate.suffix.size()) == candidate.suffix) {
        unit = &candidate;
        break;
      }
    }
    if (unit == nullptr) return std::nullopt;  // a bare number or an unknown unit
    const int this_rank = rank(unit->suffix);
    if (this_rank <= last_rank) return std::nullopt;  // "30s1m", "1s1s"
    last_rank = this_rank;
    pos += unit->suffix.size();
    if (number > (kMax - total) / unit->milliseconds) return std::nullopt;
    total += number * unit->milliseconds;
  }
  if (total == 0) return std::nullopt;
  return std::chrono::milliseconds(total);
}

}  // namespace swr::config
