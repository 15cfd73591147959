// SWR's `filter` query parameter: `key::value` pieces joined by `|`, parsed strictly.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace swr::sim {

struct FilterParse {
  std::map<std::string, std::string, std::less<>> values;
  std::string error;  // empty when the filter is well formed
};

// Rejects empty pieces, missing `::`, empty keys or values, keys outside `allowed`, and
// duplicates; `error` then names what was wrong.
FilterParse parse_filter(std::string_view text, std::initializer_list<std::string_view> allowed);

// Decimal digits only (no sign, no spaces), at most 9 of them.
std::optional<std::int64_t> parse_non_negative(std::string_view text);

// limit 1..1000, offset >= 0, both required; order asc|desc, default ascending by creation.
struct JobQuery {
  std::size_t limit = 0;
  std::size_t offset = 0;
  bool descending = false;
};
struct JobQueryParse {
  JobQuery query;
  std::string error;
};
inline constexpr std::size_t kMaxJobLimit = 1000;
JobQueryParse parse_job_filter(std::string_view text);

// The repository listing: namespace (fuzzy), name, limit (default 100, max 1000), offset (a
// multiple of limit).
struct RepoQuery {
  std::string organization_contains;
  std::string name_contains;
  std::size_t limit = 100;
  std::size_t offset = 0;
};
struct RepoQueryParse {
  RepoQuery query;
  std::string error;
};
RepoQueryParse parse_repo_filter(std::string_view text);

}  // namespace swr::sim
