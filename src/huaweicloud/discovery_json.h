// Bodies of the discovery calls -> names. Type-checked before anything is read.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace swr::huaweicloud {

struct NamesParse {
  std::vector<std::string> names;
  std::optional<std::int64_t> total;  // repos: `total_range`
  std::size_t items = 0;              // elements on the page, matching or not
  std::string error;                  // empty on success
};

// {"namespaces":[{"name":...}, ...]}
NamesParse parse_namespaces(std::string_view body);
// [{"name":..., "namespace":..., "total_range":N, ...}]: only items of exactly `organization`
// (the API's namespace filter is a fuzzy match).
NamesParse parse_repositories(std::string_view body, std::string_view organization);
// [{"remoteRegionId":..., "remoteNamespace":..., ...}] -> "region/organization".
NamesParse parse_sync_rules(std::string_view body);

}  // namespace swr::huaweicloud
