// Huawei Cloud endpoints: the defaults for a region and the checks on explicit ones.
#pragma once

#include <string>
#include <string_view>

#include "model/result.h"

namespace swr::config::detail {

std::string default_swr_endpoint(std::string_view region);
std::string default_iam_endpoint(std::string_view region);

// True for localhost, 127.0.0.0/8 and ::1 (bracketed, as a URL writes it, or bare).
bool is_loopback_host(std::string_view host);

// The URL normalised (no trailing `/`), or what is wrong and what would be right, without the key
// name.
Result<std::string> check_endpoint(std::string_view url);

}  // namespace swr::config::detail
