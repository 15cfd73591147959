#include "huaweicloud/retry_policy.h"

#include <algorithm>

namespace swr::huaweicloud {

std::chrono::milliseconds backoff_delay(const RetryPolicy& policy, int attempt, double unit) {
  double delay = static_cast<double>(policy.base_delay.count());
  for (int i = 1; i < attempt && delay < static_cast<double>(policy.max_delay.count()); ++i) {
    delay *= 2;
  }
  delay = std::min(delay, static_cast<double>(policy.max_delay.count()));
  unit = std::clamp(unit, 0.0, 1.0);
  return std::chrono::milliseconds(static_cast<std::int64_t>(delay / 2 + delay / 2 * unit));
}

std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value) {
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  if (value.empty() || value.size() > 9) return std::nullopt;
  std::int64_t seconds = 0;
  for (const char c : value) {
    if (c < '0' || c > '9') return std::nullopt;
    seconds = seconds * 10 + (c - '0');
  }
  return std::chrono::milliseconds(seconds * 1000);
}

}  // namespace swr::huaweicloud
