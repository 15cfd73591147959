// The checks every reader of an API's JSON body makes before looking inside: it parsed, and it
// is an array. One wording for the errors, which go into logs and `last error` metrics alike.
#pragma once

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <string>
#include <string_view>

#include "model/result.h"

namespace swr::huaweicloud {

// Done, or "malformed JSON at byte N: <RapidJSON's reason>".
inline Result<void> check_parsed(const rapidjson::Document& doc) {
  if (!doc.HasParseError()) return {};
  return unexpected(std::string("malformed JSON at byte ") + std::to_string(doc.GetErrorOffset()) +
                    ": " + rapidjson::GetParseError_En(doc.GetParseError()));
}

// check_parsed(), then: done, or "expected a JSON array of <what>".
inline Result<void> check_array(const rapidjson::Document& doc, std::string_view what) {
  if (Result<void> parsed = check_parsed(doc); !parsed) return parsed;
  if (!doc.IsArray()) return unexpected("expected a JSON array of " + std::string(what));
  return {};
}

}  // namespace swr::huaweicloud
