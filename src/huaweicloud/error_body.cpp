#include "huaweicloud/error_body.h"

#include <rapidjson/document.h>

#include "model/utf8.h"

namespace swr::huaweicloud {

namespace {

constexpr std::size_t kMaxRawBytes = 200;

std::string string_member(const rapidjson::Value& object, const char* key) {
  if (!object.IsObject()) return {};
  const auto it = object.FindMember(key);
  if (it == object.MemberEnd()) return {};
  if (it->value.IsString()) {
    return sanitize_utf8({it->value.GetString(), it->value.GetStringLength()});
  }
  if (it->value.IsInt64()) return std::to_string(it->value.GetInt64());
  return {};
}

std::string raw_excerpt(std::string_view body) {
  std::string out;
  for (const char c : body.substr(0, kMaxRawBytes)) {
    out.push_back(c == '\n' || c == '\r' || c == '\t' ? ' ' : c);
  }
  out = sanitize_utf8(out);
  if (body.size() > kMaxRawBytes) out += "...";
  return out;
}

}  // namespace

ApiErrorBody parse_error_body(std::string_view body) {
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseIterativeFlag>(body.data(), body.size());
  if (!doc.HasParseError()) {
    if (doc.IsObject()) {
      const rapidjson::Value& object = doc;  // const iterators: clang's C++20 != is ambiguous
      ApiErrorBody out{string_member(doc, "error_code"), string_member(doc, "error_msg")};
      if (out.code.empty()) {
        auto errors = object.FindMember("errors");
        if (errors != object.MemberEnd() && errors->value.IsArray() && !errors->value.Empty()) {
          out.code = string_member(errors->value[0], "errorCode");
          out.message = string_member(errors->value[0], "errorMessage");
        }
      }
      if (out.code.empty()) {
        auto iam = object.FindMember("error");
        if (iam != object.MemberEnd() && iam->value.IsObject()) {
          out.code = string_member(iam->value, "code");
          out.message = string_member(iam->value, "message");
        }
      }
      if (!out.code.empty() || !out.message.empty()) return out;
    } else if (doc.IsArray() && !doc.Empty() && doc[0].IsObject()) {
      ApiErrorBody out{string_member(doc[0], "errorCode"), string_member(doc[0], "errorMessage")};
      if (!out.code.empty() || !out.message.empty()) return out;
    }
  }
  return {{}, raw_excerpt(body)};
}

bool is_throttling_code(std::string_view code) {
  return code == "APIG.0308" || code == "APIGW.0308";
}

bool is_gateway_auth_code(std::string_view code) {
  return code.starts_with("APIG.03") || code.starts_with("APIGW.03") ||
         code.starts_with("APIG.01") || code.starts_with("APIGW.01");
}

bool is_credentials_refusal(int status, std::string_view code) {
  if (status == 401) return true;
  if (status != 403 || is_throttling_code(code)) return false;
  return code.starts_with("APIG.03") || code.starts_with("APIGW.03") || code.starts_with("IAM.");
}

}  // namespace swr::huaweicloud
