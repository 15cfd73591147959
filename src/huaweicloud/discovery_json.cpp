#include "huaweicloud/discovery_json.h"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include "model/utf8.h"

namespace swr::huaweicloud {

namespace {

bool parse(std::string_view body, rapidjson::Document& doc, NamesParse& out) {
  doc.Parse<rapidjson::kParseIterativeFlag>(body.data(), body.size());
  if (doc.HasParseError()) {
    out.error = std::string("malformed JSON at byte ") + std::to_string(doc.GetErrorOffset()) +
                ": " + rapidjson::GetParseError_En(doc.GetParseError());
    return false;
  }
  return true;
}

const rapidjson::Value* string_member(const rapidjson::Value& item, const char* key) {
  const auto it = item.FindMember(key);
  if (it == item.MemberEnd() || !it->value.IsString()) return nullptr;
  return &it->value;
}

std::string text(const rapidjson::Value& v) {
  return sanitize_utf8({v.GetString(), v.GetStringLength()});
}

}  // namespace

NamesParse parse_namespaces(std::string_view body) {
  NamesParse out;
  rapidjson::Document doc;
  if (!parse(body, doc, out)) return out;
  if (!doc.IsObject() || !doc.HasMember("namespaces") || !doc["namespaces"].IsArray()) {
    out.error = "expected an object with a `namespaces` array";
    return out;
  }
  const auto& list = doc["namespaces"];
  for (rapidjson::SizeType i = 0; i < list.Size(); ++i) {
    const rapidjson::Value* name = list[i].IsObject() ? string_member(list[i], "name") : nullptr;
    if (name == nullptr) {
      out.error = "namespaces[" + std::to_string(i) + "] has no string `name`";
      out.names.clear();
      return out;
    }
    out.names.push_back(text(*name));
  }
  out.items = list.Size();
  return out;
}

NamesParse parse_repositories(std::string_view body, std::string_view organization) {
  NamesParse out;
  rapidjson::Document doc;
  if (!parse(body, doc, out)) return out;
  if (!doc.IsArray()) {
    out.error = "expected a JSON array of repositories";
    return out;
  }
  for (rapidjson::SizeType i = 0; i < doc.Size(); ++i) {
    const rapidjson::Value& item = doc[i];
    const rapidjson::Value* name = item.IsObject() ? string_member(item, "name") : nullptr;
    const rapidjson::Value* ns = item.IsObject() ? string_member(item, "namespace") : nullptr;
    if (name == nullptr || ns == nullptr) {
      out.error = "element " + std::to_string(i) + " has no string `name` and `namespace`";
      out.names.clear();
      return out;
    }
    if (const auto total = item.FindMember("total_range");
        total != item.MemberEnd() && total->value.IsInt64()) {
      out.total = total->value.GetInt64();
    }
    if (std::string_view(ns->GetString(), ns->GetStringLength()) == organization) {
      out.names.push_back(text(*name));
    }
  }
  out.items = doc.Size();
  return out;
}

NamesParse parse_sync_rules(std::string_view body) {
  NamesParse out;
  rapidjson::Document doc;
  if (!parse(body, doc, out)) return out;
  if (!doc.IsArray()) {
    out.error = "expected a JSON array of sync rules";
    return out;
  }
  for (rapidjson::SizeType i = 0; i < doc.Size(); ++i) {
    const rapidjson::Value& item = doc[i];
    const rapidjson::Value* region =
        item.IsObject() ? string_member(item, "remoteRegionId") : nullptr;
    const rapidjson::Value* ns = item.IsObject() ? string_member(item, "remoteNamespace") : nullptr;
    if (region == nullptr || ns == nullptr) {
      out.error = "element " + std::to_string(i) + " has no `remoteRegionId` and `remoteNamespace`";
      out.names.clear();
      return out;
    }
    out.names.push_back(text(*region) + "/" + text(*ns));
  }
  out.items = doc.Size();
  return out;
}

}  // namespace swr::huaweicloud
