#include "collect/discovery.h"

#include <algorithm>

#include "model/shard.h"

namespace swr::collect {

bool is_static(const DiscoveryOptions& options) {
  if (options.targets.empty()) return false;
  return std::all_of(options.targets.begin(), options.targets.end(),
                     [](const TargetSpec& t) { return !t.repositories.empty(); });
}

DiscoveryResult discover(DiscoveryApi& api, const DiscoveryOptions& options, std::stop_token stop) {
  DiscoveryResult out;
  out.needs_api = !is_static(options);
  std::vector<TargetSpec> targets = options.targets;
  if (targets.empty()) {
    NamesResult organizations = api.list_organizations(stop);
    if (!organizations.names) {
      out.error = organizations.failure.message;
      return out;
    }
    for (std::string& name : *organizations.names) targets.push_back({std::move(name), {}});
  }
  const auto in_shard = [&](const RepositoryRef& ref) {
    return options.total_shards <= 1 || shard_of(ref, options.total_shards) == options.shard;
  };
  for (const TargetSpec& target : targets) {
    if (!target.repositories.empty()) {
      for (const std::string& repository : target.repositories) {
        RepositoryRef ref{target.organization, repository};
        if (in_shard(ref)) out.repositories.push_back(std::move(ref));
      }
      continue;
    }
    NamesResult repositories = api.list_repositories(target.organization, stop);
    if (!repositories.names) {
      out.error = repositories.failure.message;
      return out;
    }
    for (std::string& repository : *repositories.names) {
      RepositoryRef ref{target.organization, std::move(repository)};
      const std::string full = ref.organization + "/" + ref.repository;
      if (options.include && !std::regex_match(full, *options.include)) continue;
      if (options.exclude && std::regex_match(full, *options.exclude)) continue;
      if (!in_shard(ref)) continue;
      if (options.only_with_sync_rules) {
        NamesResult rules = api.list_sync_rules(ref, stop);
        if (!rules.names) {
          out.error = rules.failure.message;
          return out;
        }
        if (rules.names->empty()) continue;
      }
      out.repositories.push_back(std::move(ref));
    }
  }
  std::sort(out.repositories.begin(), out.repositories.end());
  out.repositories.erase(std::unique(out.repositories.begin(), out.repositories.end()),
                         out.repositories.end());
  out.ok = true;
  return out;
}

}  // namespace swr::collect
