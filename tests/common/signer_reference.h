// The SDK-HMAC-SHA256 signature composed step by step, as Huawei Cloud's signing guide spells it
// out: the test oracle for the one-pass signer in src/huaweicloud/signer.cpp. Slow on purpose
// (each step a string, OpenSSL's own HMAC); production never calls it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "huaweicloud/signer.h"

namespace swr::test {

// Method, canonical URI, canonical query, `name:value` per signed header (the value of the first
// header of that name, trimmed), the signed names joined by `;`, and the hex SHA-256 of the body.
std::string canonical_request(const huaweicloud::SignableRequest& request,
                              const std::vector<std::string>& signed_headers);
// "SDK-HMAC-SHA256\n<X-Sdk-Date>\n<hex SHA-256 of the canonical request>".
std::string string_to_sign(std::string_view canonical_request, std::string_view sdk_date);
// Lowercase hex HMAC-SHA256, by OpenSSL's one-shot HMAC().
std::string hex_hmac_sha256(std::string_view key, std::string_view data);

// The whole Authorization header from the steps above: every header of the request signed (as
// signed_header_names() picks them), the date of the last X-Sdk-Date.
std::string reference_authorization(const std::string& access_key, const std::string& secret_key,
                                    const huaweicloud::SignableRequest& request);

}  // namespace swr::test
