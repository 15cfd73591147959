#include "collect/discovery.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>

#include "model/shard.h"

namespace swr::collect {

bool is_static(const DiscoveryOptions& options) {
  if (options.targets.empty()) return false;
  return std::all_of(options.targets.begin(), options.targets.end(),
                     [](const TargetSpec& t) { return !t.repositories.empty(); });
}

std::vector<std::string> organizations_to_discover(
    const DiscoveryOptions& options, const std::vector<std::string>& all_organizations) {
  if (options.targets.empty()) return all_organizations;
  std::vector<std::string> out;
  for (const TargetSpec& target : options.targets) {
    if (target.repositories.empty()) out.push_back(target.organization);
  }
  return out;
}

Listings list_organizations(DiscoveryApi& api, const std::vector<std::string>& organizations,
                            int in_flight, std::stop_token stop, int* requests) {
  std::vector<std::string> names = organizations;
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  std::vector<ListingResult> results(names.size());
  std::atomic<std::size_t> next{0};
  auto work = [&] {
    for (std::size_t i = next++; i < names.size() && !stop.stop_requested(); i = next++) {
      results[i] = api.list_repositories(names[i], stop);
    }
  };
  // The calls of different organizations go out together, within the client's rate limit.
  const std::size_t threads =
      std::min(names.size(), static_cast<std::size_t>(std::max(1, in_flight)));
  if (threads <= 1) {
    work();
  } else {
    std::vector<std::jthread> pool;
    for (std::size_t t = 0; t < threads; ++t) pool.emplace_back(work);
  }
  Listings out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    OrganizationListing& listing = out[names[i]];
    if (requests != nullptr) *requests += results[i].requests;
    if (!results[i].entries) {
      const std::string& message = results[i].entries.error().message;
      listing = unexpected(message.empty() ? "repos " + names[i] + ": not listed" : message);
      continue;
    }
    for (RepositoryListing& entry : *results[i].entries) {
      std::string name = entry.name;
      listing->emplace(std::move(name), std::move(entry));
    }
  }
  return out;
}

DiscoveryResult discover(DiscoveryApi& api, const DiscoveryOptions& options,
                         const std::vector<std::string>& all_organizations,
                         const Listings& listings, std::stop_token stop) {
  DiscoveryResult out;
  out.needs_api = !is_static(options);
  std::vector<RepositoryRef> repositories;
  std::vector<TargetSpec> targets = options.targets;
  if (targets.empty()) {
    for (const std::string& name : all_organizations) targets.push_back({name, {}});
  }
  const auto in_shard = [&](const RepositoryRef& ref) {
    return options.total_shards <= 1 || shard_of(ref, options.total_shards) == options.shard;
  };
  for (const TargetSpec& target : targets) {
    if (!target.repositories.empty()) {
      for (const std::string& repository : target.repositories) {
        RepositoryRef ref{target.organization, repository};
        if (in_shard(ref)) repositories.push_back(std::move(ref));
      }
      continue;
    }
    const auto listing = listings.find(target.organization);
    if (listing == listings.end() || !listing->second) {
      out.repositories =
          unexpected(listing == listings.end() ? "repos " + target.organization + ": not listed"
                                               : listing->second.error());
      return out;
    }
    std::vector<std::string> names;
    names.reserve(listing->second->size());
    for (const auto& [name, entry] : *listing->second) names.push_back(name);
    std::sort(names.begin(), names.end());
    for (std::string& repository : names) {
      RepositoryRef ref{target.organization, std::move(repository)};
      const std::string full = ref.organization + "/" + ref.repository;
      if (options.include && !std::regex_match(full, *options.include)) continue;
      if (options.exclude && std::regex_match(full, *options.exclude)) continue;
      if (!in_shard(ref)) continue;
      if (options.only_with_sync_rules) {
        SyncRulesResult rules = api.list_sync_rules(ref, stop);
        if (!rules) {
          out.repositories = unexpected(rules.error().message);
          return out;
        }
        if (rules->empty()) continue;
      }
      repositories.push_back(std::move(ref));
    }
  }
  std::sort(repositories.begin(), repositories.end());
  repositories.erase(std::unique(repositories.begin(), repositories.end()), repositories.end());
  out.repositories = std::move(repositories);
  return out;
}

DiscoveryResult discover(DiscoveryApi& api, const DiscoveryOptions& options, std::stop_token stop) {
  std::vector<std::string> organizations;
  if (options.targets.empty()) {
    NamesResult found = api.list_organizations(stop);
    if (!found) {
      DiscoveryResult out;
      out.needs_api = true;
      out.repositories = unexpected(found.error().message);
      return out;
    }
    organizations = std::move(*found);
  }
  const Listings listings =
      list_organizations(api, organizations_to_discover(options, organizations), 1, stop);
  return discover(api, options, organizations, listings, stop);
}

}  // namespace swr::collect
