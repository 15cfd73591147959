// The error bodies the simulated services send, in each shape the exporter must parse.
#pragma once

#include <string>
#include <string_view>

namespace swr::sim {

// SWR's current shape: error_code/error_msg plus details[] and the old errors[] array.
std::string swr_error_body(std::string_view code, std::string_view message);
// Older regions: a top-level array of {errorCode, errorMessage, detail}.
std::string swr_legacy_error_body(std::string_view code, std::string_view message);
// The API gateway's shape (APIG.0301, APIG.0308, ...).
std::string apig_error_body(std::string_view code, std::string_view message,
                            std::string_view request_id);
// IAM's Keystone shape: {"error":{"code":401,"message":...,"title":...}}.
std::string iam_error_body(int code, std::string_view title, std::string_view message);

}  // namespace swr::sim
