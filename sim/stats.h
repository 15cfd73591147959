// Request counters for /_sim/stats, so tests can see what the exporter asked for.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

namespace swr::sim {

enum class Endpoint : std::uint8_t {
  kToken,            // POST /v3/auth/tokens
  kTokenValidation,  // GET /v3/auth/tokens
  kSyncJob,
  kNamespaces,
  kRepos,
  kSyncRepo,
  kOther,  // unknown paths
};
inline constexpr std::size_t kEndpointCount = 7;

std::string_view to_string(Endpoint endpoint);

struct StatsSnapshot {
  std::array<std::uint64_t, kEndpointCount> requests{};
  std::map<std::string, std::uint64_t> by_repository;  // sync_job calls, "org/repo"
  std::uint64_t auth_failures = 0;                     // every 401 answered
};

class Stats {
 public:
  void count(Endpoint endpoint) {
    std::lock_guard lock(mutex_);
    ++data_.requests[static_cast<std::size_t>(endpoint)];
  }
  void count_repository(const std::string& key) {
    std::lock_guard lock(mutex_);
    ++data_.by_repository[key];
  }
  void count_auth_failure() {
    std::lock_guard lock(mutex_);
    ++data_.auth_failures;
  }
  void reset() {
    std::lock_guard lock(mutex_);
    data_ = {};
  }
  StatsSnapshot snapshot() const {
    std::lock_guard lock(mutex_);
    return data_;
  }

 private:
  mutable std::mutex mutex_;
  StatsSnapshot data_;
};

inline std::string_view to_string(Endpoint endpoint) {
  switch (endpoint) {
    case Endpoint::kToken:
      return "token";
    case Endpoint::kTokenValidation:
      return "token_validation";
    case Endpoint::kSyncJob:
      return "sync_job";
    case Endpoint::kNamespaces:
      return "namespaces";
    case Endpoint::kRepos:
      return "repos";
    case Endpoint::kSyncRepo:
      return "sync_repo";
    case Endpoint::kOther:
      return "other";
  }
  return "other";
}

}  // namespace swr::sim
