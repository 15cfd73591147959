// RFC 3339 / ISO 8601 timestamps as the SWR and IAM APIs send them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace swr {

// Parses `2020-03-12T08:11:36.518144Z`: fractional seconds of any length or none, `Z`, `z` or a
// numeric offset (`+08:00`, `+0800`), and a space instead of `T`. A missing zone is read as UTC,
// since the API documents UTC. Returns microseconds since the Unix epoch, or nothing when the
// text is not a valid time.
std::optional<std::int64_t> parse_timestamp_us(std::string_view text);

// `YYYYMMDDTHHMMSSZ` for X-Sdk-Date.
std::string format_sdk_date(std::int64_t unix_seconds);
// `2020-01-04T09:05:22.701000Z`.
std::string format_timestamp_us(std::int64_t unix_us);

}  // namespace swr
