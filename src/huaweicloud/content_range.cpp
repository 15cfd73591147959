#include "huaweicloud/content_range.h"

namespace swr::huaweicloud {

std::optional<std::int64_t> content_range_total(std::string_view header) {
  const std::size_t slash = header.rfind('/');
  if (slash == std::string_view::npos) return std::nullopt;
  std::string_view digits = header.substr(slash + 1);
  while (!digits.empty() && (digits.back() == ' ' || digits.back() == '\t'))
    digits.remove_suffix(1);
  while (!digits.empty() && (digits.front() == ' ' || digits.front() == '\t')) {
    digits.remove_prefix(1);
  }
  if (digits.empty() || digits.size() > 18) return std::nullopt;
  std::int64_t total = 0;
  for (const char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    total = total * 10 + (c - '0');
  }
  return total;
}

}  // namespace swr::huaweicloud
