// config -> discovery: which repositories this replica polls, from the targets, the API's
// listings, the include/exclude filters, the auto-sync rules and the shard.
#pragma once

#include <optional>
#include <regex>
#include <stop_token>
#include <string>
#include <vector>

#include "collect/change_hints.h"
#include "model/discovery_api.h"
#include "model/result.h"
#include "model/sync_job.h"

namespace swr::collect {

struct TargetSpec {
  std::string organization;
  std::vector<std::string> repositories;  // empty: every repository of the organization
};

struct DiscoveryOptions {
  std::vector<TargetSpec> targets;  // empty: every organization
  std::optional<std::regex> include;
  std::optional<std::regex> exclude;
  bool only_with_sync_rules = false;
  int shard = 0;
  int total_shards = 1;
};

// needs_api is said whether discovery worked or not, so this is more than a Result.
struct DiscoveryResult {
  Result<std::vector<RepositoryRef>> repositories;  // sorted, each once
  bool needs_api = false;                           // false: the targets name everything
};

// Whether the targets alone decide the repositories (no API call needed).
bool is_static(const DiscoveryOptions& options);

// The organizations whose listings discovery reads: the targets without `repositories`, or
// `all_organizations` when there are no targets.
std::vector<std::string> organizations_to_discover(
    const DiscoveryOptions& options, const std::vector<std::string>& all_organizations);

// The repositories from listings already made (every organization of
// organizations_to_discover() in `listings`); asks only for sync rules, when the options want
// them.
DiscoveryResult discover(DiscoveryApi& api, const DiscoveryOptions& options,
                         const std::vector<std::string>& all_organizations,
                         const Listings& listings, std::stop_token stop);

// Makes the listings it needs itself, one after another.
DiscoveryResult discover(DiscoveryApi& api, const DiscoveryOptions& options, std::stop_token stop);

// Each organization's listing, up to `in_flight` organizations at a time.
Listings list_organizations(DiscoveryApi& api, const std::vector<std::string>& organizations,
                            int in_flight, std::stop_token stop, int* requests = nullptr);

}  // namespace swr::collect
