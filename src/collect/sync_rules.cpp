#include "collect/sync_rules.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <mutex>
#include <thread>

#include "log/logger.h"

namespace swr::collect {

SyncRuleReader::SyncRuleReader(SyncRuleOptions options, DiscoveryApi& api)
    : options_(options), api_(&api) {}

SyncRuleReport SyncRuleReader::refresh(const std::vector<RepositoryRef>& repositories,
                                       std::size_t max_reads,
                                       std::chrono::steady_clock::time_point now,
                                       std::stop_token stop, const Found& found) {
  SyncRuleReport report;
  // Forget what is no longer polled.
  std::map<RepositoryRef, Entry> kept;
  for (const RepositoryRef& ref : repositories) {
    auto it = entries_.find(ref);
    kept.emplace(ref, it == entries_.end() ? Entry{} : it->second);
  }
  entries_ = std::move(kept);

  std::vector<const RepositoryRef*> never;  // never read well, in the given order
  std::vector<const RepositoryRef*> stale;  // read refresh_interval ago or more
  for (const RepositoryRef& ref : repositories) {
    const Entry& e = entries_.at(ref);
    if (!e.last_read) {
      never.push_back(&ref);
    } else if (now - *e.last_read >= options_.refresh_interval) {
      stale.push_back(&ref);
    }
  }
  std::stable_sort(stale.begin(), stale.end(), [&](const RepositoryRef* a, const RepositoryRef* b) {
    return *entries_.at(*a).last_read < *entries_.at(*b).last_read;
  });
  // The refresh spread over the refresh interval: each cycle its share of the repositories.
  const double share =
      std::ceil(static_cast<double>(repositories.size()) *
                std::chrono::duration<double>(options_.interval).count() /
                std::max(1.0, std::chrono::duration<double>(options_.refresh_interval).count()));
  const std::size_t stale_quota = static_cast<std::size_t>(std::max(1.0, share));
  const std::size_t due_count = never.size() + stale.size();
  std::vector<const RepositoryRef*> due = std::move(never);
  for (std::size_t k = 0; k < stale.size() && k < stale_quota; ++k) due.push_back(stale[k]);
  const std::size_t take = std::min(due.size(), max_reads);
  report.due_left = due_count;
  if (take == 0) return report;

  struct Outcome {
    std::optional<SyncRulesResult> result;  // none: not asked (stopped, or credentials refused)
  };
  std::vector<Outcome> outcomes(take);
  std::atomic<std::size_t> next{0};
  std::atomic<bool> refused{false};
  auto work = [&] {
    for (std::size_t i = next++; i < take; i = next++) {
      if (stop.stop_requested() || refused) continue;
      SyncRulesResult result = api_->list_sync_rules(*due[i], stop);
      if (!result && result.error().authentication) refused = true;
      outcomes[i].result = std::move(result);
    }
  };
  const std::size_t threads =
      std::min(take, static_cast<std::size_t>(std::max(1, options_.in_flight)));
  if (threads <= 1) {
    work();
  } else {
    std::vector<std::jthread> pool;
    for (std::size_t t = 0; t < threads; ++t) pool.emplace_back(work);
  }

  for (std::size_t i = 0; i < take; ++i) {
    const RepositoryRef& ref = *due[i];
    Entry& entry = entries_.at(ref);
    if (!outcomes[i].result) continue;
    SyncRulesResult& result = *outcomes[i].result;
    if (!result) {
      ++report.failed;
      if (!entry.failing) {
        entry.failing = true;
        log::warn(
            "could not read the repository's auto-sync rules; keeping the last ones read (said "
            "once until a read works)",
            {{"organization", ref.organization},
             {"repository", ref.repository},
             {"api", "sync_repo"},
             {"err", result.error().message}});
      }
      continue;
    }
    if (entry.failing) {
      log::info("read the repository's auto-sync rules again", {{"organization", ref.organization},
                                                                {"repository", ref.repository},
                                                                {"api", "sync_repo"}});
    }
    entry.failing = false;
    entry.last_read = now;
    ++report.read;
    std::vector<SyncRule> rules = std::move(*result);
    std::sort(rules.begin(), rules.end());
    rules.erase(std::unique(rules.begin(), rules.end()), rules.end());
    found(ref, std::move(rules));
  }
  report.due_left = due_count - report.read - report.failed;
  return report;
}

}  // namespace swr::collect
