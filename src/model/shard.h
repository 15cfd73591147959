// Which replica polls a repository: a stable hash of `organization/repository`, the same on every
// machine and in every version, so replicas partition the repositories without talking.
#pragma once

#include <cstdint>
#include <string_view>

#include "model/sync_job.h"

namespace swr {

// 64-bit FNV-1a.
constexpr std::uint64_t stable_hash(std::string_view text) {
  std::uint64_t h = 14695981039346656037ULL;
  for (const char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ULL;
  }
  return h;
}

inline int shard_of(const RepositoryRef& repository, int total_shards) {
  std::uint64_t h = stable_hash(repository.organization);
  h ^= static_cast<unsigned char>('/');
  h *= 1099511628211ULL;
  for (const char c : repository.repository) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ULL;
  }
  return static_cast<int>(h % static_cast<std::uint64_t>(total_shards));
}

}  // namespace swr
