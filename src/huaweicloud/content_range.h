#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace swr::huaweicloud {

// `Content-Range` of ShowSyncJob, documented as `offset-count/total` with no real example in
// public: only the integer after the last `/` is trusted. Nothing when it is absent or not a
// non-negative integer (e.g. `*`).
std::optional<std::int64_t> content_range_total(std::string_view header);

}  // namespace swr::huaweicloud
