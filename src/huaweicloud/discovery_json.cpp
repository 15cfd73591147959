#include "huaweicloud/discovery_json.h"

#include <rapidjson/document.h>

#include <tuple>

#include "huaweicloud/json_body.h"
#include "model/timestamp.h"
#include "model/utf8.h"

namespace swr::huaweicloud {

namespace {

const rapidjson::Value* string_member(const rapidjson::Value& item, const char* key) {
  const auto it = item.FindMember(key);
  if (it == item.MemberEnd() || !it->value.IsString()) return nullptr;
  return &it->value;
}

std::string text(const rapidjson::Value& v) {
  return sanitize_utf8({v.GetString(), v.GetStringLength()});
}

}  // namespace

Result<std::vector<std::string>> parse_namespaces(std::string_view body) {
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseIterativeFlag>(body.data(), body.size());
  if (Result<void> parsed = check_parsed(doc); !parsed)
    return unexpected(std::move(parsed.error()));
  if (!doc.IsObject() || !doc.HasMember("namespaces") || !doc["namespaces"].IsArray()) {
    return unexpected(std::string("expected an object with a `namespaces` array"));
  }
  std::vector<std::string> names;
  const auto& list = doc["namespaces"];
  for (rapidjson::SizeType i = 0; i < list.Size(); ++i) {
    const rapidjson::Value* name = list[i].IsObject() ? string_member(list[i], "name") : nullptr;
    if (name == nullptr) {
      return unexpected("namespaces[" + std::to_string(i) + "] has no string `name`");
    }
    names.push_back(text(*name));
  }
  return names;
}

namespace {

// A value from the body for an error message: short and valid UTF-8.
std::string quote_short(std::string_view value) {
  constexpr std::size_t kMax = 40;
  return "\"" + sanitize_utf8(value.substr(0, kMax)) + (value.size() > kMax ? "...\"" : "\"");
}

// The fold of what a push moves; the problem when a field is not as documented.
std::pair<std::string, std::string> fingerprint(const rapidjson::Value& item) {
  const auto updated = item.FindMember("updated_at");
  if (updated == item.MemberEnd() || !updated->value.IsString()) {
    return {"", updated == item.MemberEnd() ? "no `updated_at`" : "`updated_at` is not a string"};
  }
  const std::string_view updated_at(updated->value.GetString(), updated->value.GetStringLength());
  if (!parse_timestamp_us(updated_at)) {
    return {"", "`updated_at` " + quote_short(updated_at) + " is not a timestamp"};
  }
  std::string out(updated_at);
  out += '|';
  if (const auto images = item.FindMember("num_images"); images != item.MemberEnd()) {
    if (!images->value.IsInt64() || images->value.GetInt64() < 0) {
      return {"", "`num_images` is not a whole number"};
    }
    out += std::to_string(images->value.GetInt64());
  }
  out += '|';
  if (const auto tags = item.FindMember("tags");
      tags != item.MemberEnd() && !tags->value.IsNull()) {
    if (!tags->value.IsArray()) return {"", "`tags` is not an array"};
    // FNV-1a over the tags, each ended by a NUL: a changed list changes it.
    std::uint64_t hash = 14695981039346656037ULL;
    auto mix = [&](char c) { hash = (hash ^ static_cast<unsigned char>(c)) * 1099511628211ULL; };
    for (const rapidjson::Value& tag : tags->value.GetArray()) {
      if (!tag.IsString()) return {"", "`tags` holds a value that is not a string"};
      for (rapidjson::SizeType i = 0; i < tag.GetStringLength(); ++i) mix(tag.GetString()[i]);
      mix('\0');
    }
    out += std::to_string(tags->value.Size()) + ":" + std::to_string(hash);
  }
  return {std::move(out), ""};
}

}  // namespace

Result<ListingPage> parse_repositories(std::string_view body, std::string_view organization) {
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseIterativeFlag>(body.data(), body.size());
  if (Result<void> array = check_array(doc, "repositories"); !array) {
    return unexpected(std::move(array.error()));
  }
  ListingPage out;
  for (rapidjson::SizeType i = 0; i < doc.Size(); ++i) {
    const rapidjson::Value& item = doc[i];
    const rapidjson::Value* name = item.IsObject() ? string_member(item, "name") : nullptr;
    const rapidjson::Value* ns = item.IsObject() ? string_member(item, "namespace") : nullptr;
    if (name == nullptr || ns == nullptr) {
      return unexpected("element " + std::to_string(i) + " has no string `name` and `namespace`");
    }
    if (const auto total = item.FindMember("total_range");
        total != item.MemberEnd() && total->value.IsInt64()) {
      out.total = total->value.GetInt64();
    }
    if (std::string_view(ns->GetString(), ns->GetStringLength()) != organization) continue;
    RepositoryListing entry;
    entry.name = text(*name);
    std::tie(entry.fingerprint, entry.problem) = fingerprint(item);
    if (const rapidjson::Value* updated = string_member(item, "updated_at")) {
      entry.updated_at_us = parse_timestamp_us({updated->GetString(), updated->GetStringLength()});
    }
    out.entries.push_back(std::move(entry));
  }
  out.items = doc.Size();
  return out;
}

Result<std::vector<SyncRule>> parse_sync_rule_details(std::string_view body) {
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseIterativeFlag>(body.data(), body.size());
  if (Result<void> array = check_array(doc, "sync rules"); !array) {
    return unexpected(std::move(array.error()));
  }
  std::vector<SyncRule> rules;
  auto fail = [](rapidjson::SizeType i, const std::string& why) {
    return unexpected("element " + std::to_string(i) + " " + why);
  };
  for (rapidjson::SizeType i = 0; i < doc.Size(); ++i) {
    const rapidjson::Value& item = doc[i];
    if (!item.IsObject()) return fail(i, "is not an object");
    const rapidjson::Value* region = string_member(item, "remoteRegionId");
    const rapidjson::Value* ns = string_member(item, "remoteNamespace");
    if (region == nullptr || ns == nullptr) {
      return fail(i, "has no string `remoteRegionId` and `remoteNamespace`");
    }
    SyncRule rule{text(*region), text(*ns)};
    for (const auto& [key, flag] :
         {std::pair<const char*, bool*>{"syncAuto", &rule.sync_auto},
          std::pair<const char*, bool*>{"override", &rule.override_image}}) {
      const auto member = item.FindMember(key);
      if (member == item.MemberEnd() || member->value.IsNull()) continue;
      if (!member->value.IsBool())
        return fail(i, "has a `" + std::string(key) + "` that is not true or false");
      *flag = member->value.GetBool();
    }
    rules.push_back(std::move(rule));
  }
  return rules;
}

}  // namespace swr::huaweicloud
