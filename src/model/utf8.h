#pragma once

#include <string>
#include <string_view>

namespace swr {

// Replaces every byte sequence that is not valid UTF-8 with U+FFFD, so names from the API can go
// into the exposition, which must be UTF-8.
std::string sanitize_utf8(std::string_view text);
bool is_valid_utf8(std::string_view text);

}  // namespace swr
