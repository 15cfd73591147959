// What discovery needs from the cloud: organizations, their repositories, a repository's
// auto-sync rules. collect/ sees only this interface.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "model/sync_job.h"
#include "model/sync_job_api.h"

namespace swr {

using NamesResult = Result<std::vector<std::string>, ApiFailure>;

// One repository of ListReposDetails, with what a push moves in it.
struct RepositoryListing {
  std::string name;  // with `/`
  // updated_at, num_images and the tags folded into one value: while it stays the same, no push
  // has been seen. Empty when the entry's fields were missing or malformed (see `problem`).
  std::string fingerprint;
  std::string problem;  // why this entry gives no change hint; empty when it does
  // `updated_at`: the last push or tag change, in microseconds since the epoch; none when it is
  // missing or not a timestamp.
  std::optional<std::int64_t> updated_at_us;
};

// One auto-sync rule of a repository (ListImageAutoSyncReposDetails).
struct SyncRule {
  // NOLINTNEXTLINE(modernize-use-nullptr): clang-tidy 14 misreads a defaulted <=>.
  auto operator<=>(const SyncRule&) const = default;

  std::string target_region;        // remoteRegionId
  std::string target_organization;  // remoteNamespace
  bool sync_auto = false;           // syncAuto: a push starts a job
  bool override_image = false;      // override: the destination's image is overwritten
};

using SyncRulesResult = Result<std::vector<SyncRule>, ApiFailure>;

// The pages asked for count on failure too, so this is more than a Result.
struct ListingResult {
  // Each name once. A failure (with no message: "not listed") until the call is made.
  Result<std::vector<RepositoryListing>, ApiFailure> entries{unexpect, ApiFailure{}};
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
  // The repository's auto-sync rules, in the order the API gives them.
  virtual SyncRulesResult list_sync_rules(const RepositoryRef& repository,
                                          std::stop_token stop) = 0;
};

}  // namespace swr
