// Small helpers between cpp-httplib and the handlers.
#pragma once

#include <httplib.h>

#include <string>
#include <string_view>

#include "auth.h"
#include "huaweicloud/signer.h"

namespace swr::sim {

// %XX decoded; `+` stays `+` (the signer writes a space as %20).
std::string percent_decode(std::string_view text);
// The query of the raw request target, decoded, in the order sent.
huaweicloud::KeyValues decode_query(std::string_view target);
ReceivedRequest to_received(const httplib::Request& req);
bool is_json_content_type(std::string_view value);
// A post-routing handler: a JSON body goes out gzip-compressed when the request's Accept-Encoding
// lists gzip, as API gateways do. cpp-httplib 0.11 compresses only a Content-Type of exactly
// "application/json", and ours carries a charset.
void compress_json(const httplib::Request& req, httplib::Response& res);

inline constexpr const char* kJsonType = "application/json;charset=UTF-8";
inline constexpr const char* kRequestIdHeader = "X-Request-Id";

inline std::string request_id_of(const httplib::Response& res) {
  return res.get_header_value(kRequestIdHeader);
}

}  // namespace swr::sim
