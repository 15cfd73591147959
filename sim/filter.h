// SWR's `filter` query parameter: `key::value` pieces joined by `|`, parsed strictly.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "world.h"

namespace swr::sim {

struct FilterParse {
  std::map<std::string, std::string, std::less<>> values;
  std::string error;  // empty when the filter is well formed
};

// Rejects empty pieces, missing `::`, empty keys or values, keys outside `allowed`, and
// duplicates; `error` then names what was wrong.
FilterParse parse_filter(std::string_view text, std::span<const std::string_view> allowed);
inline FilterParse parse_filter(std::string_view text,
                                std::initializer_list<std::string_view> allowed) {
  return parse_filter(text, std::span(allowed.begin(), allowed.size()));
}

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

// The repository listing's conditions, which come either in `filter` or as query parameters of
// the same names: namespace and name (fuzzy), category, limit (1..1000, default 100) with offset
// (a multiple of limit, default 0), order_column (name, updated_time, tag_count) with order_type
// (asc, desc). Each of the pairs goes together. The SDK documents `filter`'s order_column as
// name|updated_time|tag_count but the query parameter's as updated_at: both spellings sort by
// the last push.
inline constexpr std::string_view kRepoConditions[] = {
    "namespace", "name", "category", "limit", "offset", "order_column", "order_type"};
using Conditions = std::map<std::string, std::string, std::less<>>;
struct RepoQueryParse {
  RepositoryQuery query;
  std::string error;
};
// `values` holds only keys of kRepoConditions.
RepoQueryParse parse_repo_conditions(const Conditions& values);
RepoQueryParse parse_repo_filter(std::string_view text);

}  // namespace swr::sim
