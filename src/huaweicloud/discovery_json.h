// Bodies of the discovery calls -> names. Type-checked before anything is read.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/discovery_api.h"
#include "model/result.h"

namespace swr::huaweicloud {

// The parsers below give what the body holds, or what was wrong with it and where.

// {"namespaces":[{"name":...}, ...]} -> the names.
Result<std::vector<std::string>> parse_namespaces(std::string_view body);

struct ListingPage {
  std::vector<RepositoryListing> entries;  // items of exactly the organization, in page order
  std::optional<std::int64_t> total;       // `total_range`
  std::size_t items = 0;                   // elements on the page, matching or not
};

// [{"name":..., "namespace":..., "updated_at":..., "num_images":N, "tags":[...],
// "total_range":N, ...}]: only items of exactly `organization` (the API's namespace filter is a
// fuzzy match). An item without a string name and namespace fails the page; one whose change
// fields are missing or malformed is kept with its `problem` said.
Result<ListingPage> parse_repositories(std::string_view body, std::string_view organization);

// [{"remoteRegionId":"cn-east-3", "remoteNamespace":"team-b", "syncAuto":true, "override":false,
// ...}]: every element an object with string remoteRegionId and remoteNamespace; syncAuto and
// override, when present and not null, booleans (absent or null: false, as the SDK's model
// defaults them). Anything else fails the whole body: a rule half read is not a rule. The rules
// come in the body's order.
Result<std::vector<SyncRule>> parse_sync_rule_details(std::string_view body);

}  // namespace swr::huaweicloud
