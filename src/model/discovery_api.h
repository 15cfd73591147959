// What discovery needs from the cloud: organizations, their repositories, a repository's
// auto-sync rules. collect/ sees only this interface.
#pragma once

#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "model/sync_job.h"
#include "model/sync_job_api.h"

namespace swr {

struct NamesResult {
  std::optional<std::vector<std::string>> names;  // set on success
  ApiFailure failure;
};

class DiscoveryApi {
 public:
  virtual ~DiscoveryApi() = default;
  virtual NamesResult list_organizations(std::stop_token stop) = 0;
  // Every repository of exactly this organization, with `/` in names.
  virtual NamesResult list_repositories(const std::string& organization, std::stop_token stop) = 0;
  // The destinations (`region/organization`) of the repository's auto-sync rules.
  virtual NamesResult list_sync_rules(const RepositoryRef& repository, std::stop_token stop) = 0;
};

}  // namespace swr
