#include "huaweicloud/sync_job_json.h"

#include <rapidjson/document.h>

#include "huaweicloud/json_body.h"
#include "model/timestamp.h"
#include "model/utf8.h"

namespace swr::huaweicloud {

namespace {

std::string quoted_excerpt(std::string_view text) {
  constexpr std::size_t kMax = 64;
  std::string out = "\"" + sanitize_utf8(text.substr(0, kMax));
  if (text.size() > kMax) out += "...";
  return out + "\"";
}

// Reads an optional string member; false when present with another type.
bool read_string(const rapidjson::Value& object, const char* key, std::string& out) {
  const auto it = object.FindMember(key);
  if (it == object.MemberEnd() || it->value.IsNull()) return true;
  if (!it->value.IsString()) return false;
  out = sanitize_utf8({it->value.GetString(), it->value.GetStringLength()});
  return true;
}

std::string read_job(const rapidjson::Value& item, SyncJob& job) {
  if (!item.IsObject()) return "is not an object";
  const auto id = item.FindMember("id");
  if (id == item.MemberEnd()) return "has no `id`";
  if (!id->value.IsInt64()) return "`id` is not an integer";
  job.id = id->value.GetInt64();

  for (const auto& [key, target] :
       {std::pair{"createdAt", &job.created_at_us}, std::pair{"updatedAt", &job.updated_at_us}}) {
    const auto it = item.FindMember(key);
    if (it == item.MemberEnd()) return std::string("has no `") + key + "`";
    if (!it->value.IsString()) return std::string("`") + key + "` is not a string";
    const std::string_view text{it->value.GetString(), it->value.GetStringLength()};
    const auto parsed = parse_timestamp_us(text);
    if (!parsed) return std::string("`") + key + "` is not a timestamp: " + quoted_excerpt(text);
    *target = *parsed;
  }

  const auto status = item.FindMember("status");
  if (status == item.MemberEnd()) return "has no `status`";
  if (!status->value.IsString()) return "`status` is not a string";
  job.status = parse_sync_status({status->value.GetString(), status->value.GetStringLength()});

  for (const auto& [key, target] :
       {std::pair{"namespace", &job.organization}, std::pair{"repoName", &job.repository},
        std::pair{"tag", &job.tag}, std::pair{"remoteRegionId", &job.target_region},
        std::pair{"remoteNamespace", &job.target_organization}}) {
    if (!read_string(item, key, *target)) return std::string("`") + key + "` is not a string";
  }
  return {};
}

}  // namespace

Result<std::vector<SyncJob>> parse_sync_jobs(std::string_view body) {
  std::string copy(body);
  return parse_sync_jobs_in_place(copy);
}

Result<std::vector<SyncJob>> parse_sync_jobs_in_place(std::string& body) {
  // The document's first nodes come from the stack: an incremental page is a few jobs, and a
  // 64 KiB heap chunk per page (RapidJSON's default) cost more than parsing it.
  char first_chunk[16 * 1024];
  rapidjson::MemoryPoolAllocator<> pool(first_chunk, sizeof first_chunk);
  rapidjson::Document doc(&pool);
  // Strings stay in the body instead of being copied into the document.
  // Iteratively: a body of nested brackets must not overflow the stack (found by fuzzing).
  doc.ParseInsitu<rapidjson::kParseIterativeFlag>(body.data());
  if (Result<void> array = check_array(doc, "sync jobs"); !array) {
    return unexpected(std::move(array.error()));
  }
  std::vector<SyncJob> jobs(doc.Size());
  for (rapidjson::SizeType i = 0; i < doc.Size(); ++i) {
    std::string problem = read_job(doc[i], jobs[i]);
    if (!problem.empty()) return unexpected("element " + std::to_string(i) + " " + problem);
  }
  return jobs;
}

}  // namespace swr::huaweicloud
