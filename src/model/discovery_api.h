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

// One repository of ListReposDetails, with what a push moves in it.
struct RepositoryListing {
  std::string name;  // with `/`
  // updated_at, num_images and the tags folded into one value: while it stays the same, no push
  // has been seen. Empty when the entry's fields were missing or malformed (see `problem`).
  std::string fingerprint;
  std::string problem;  // why this entry gives no change hint; empty when it does
};

struct ListingResult {
  std::optional<std::vector<RepositoryListing>> entries;  // set on success; each name once
  ApiFailure failure;
  int requests = 0;  // pages asked for
};

class DiscoveryApi {
 public:
  virtual ~DiscoveryApi() = default;
  virtual NamesResult list_organizations(std::stop_token stop) = 0;
  // Every repository of exactly this organization (ListReposDetails, all pages), with `/` in
  // names. A name listed twice is kept once, with the problem said.
  virtual ListingResult list_repositories(const std::string& organization,
                                          std::stop_token stop) = 0;
  // The destinations (`region/organization`) of the repository's auto-sync rules.
  virtual NamesResult list_sync_rules(const RepositoryRef& repository, std::stop_token stop) = 0;
};

}  // namespace swr
