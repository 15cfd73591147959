#include "collect/job_ledger.h"

#include <algorithm>
#include <tuple>

namespace swr::collect {

std::vector<std::size_t> JobLedger::record(const RepositoryRef& repository,
                                           const std::vector<SyncJob>& jobs) {
  std::vector<std::pair<std::int64_t, std::size_t>> finals;  // (id, position)
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    if (is_final(jobs[i].status)) finals.emplace_back(jobs[i].id, i);
  }
  std::sort(finals.begin(), finals.end());
  finals.erase(std::unique(finals.begin(), finals.end(),
                           [](const auto& a, const auto& b) { return a.first == b.first; }),
               finals.end());

  std::vector<Entry>& old_entries = final_seen_[repository];
  std::vector<Entry> merged;
  merged.reserve(std::max(old_entries.size(), finals.size()));
  std::vector<std::size_t> first_seen;
  auto old_it = old_entries.begin();
  for (const auto& [id, position] : finals) {
    while (old_it != old_entries.end() && old_it->id < id) {
      if (old_it->misses + 1 < kForgetAfterMisses) {
        merged.push_back({old_it->id, static_cast<std::uint8_t>(old_it->misses + 1)});
      }
      ++old_it;
    }
    if (old_it != old_entries.end() && old_it->id == id) {
      ++old_it;
    } else {
      first_seen.push_back(position);
    }
    merged.push_back({id, 0});
  }
  for (; old_it != old_entries.end(); ++old_it) {
    if (old_it->misses + 1 < kForgetAfterMisses) {
      merged.push_back({old_it->id, static_cast<std::uint8_t>(old_it->misses + 1)});
    }
  }
  old_entries = std::move(merged);
  std::sort(first_seen.begin(), first_seen.end());
  return first_seen;
}

std::vector<std::size_t> JobLedger::record_partial(const RepositoryRef& repository,
                                                   const std::vector<SyncJob>& jobs) {
  std::vector<Entry>& entries = final_seen_[repository];
  std::vector<std::size_t> first_seen;
  std::vector<Entry> added;
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    if (!is_final(jobs[i].status)) continue;
    const auto it = std::lower_bound(entries.begin(), entries.end(), jobs[i].id,
                                     [](const Entry& e, std::int64_t id) { return e.id < id; });
    if (it != entries.end() && it->id == jobs[i].id) continue;
    if (std::any_of(added.begin(), added.end(),
                    [&](const Entry& e) { return e.id == jobs[i].id; })) {
      continue;
    }
    added.push_back({jobs[i].id, 0});
    first_seen.push_back(i);
  }
  if (!added.empty()) {
    entries.insert(entries.end(), added.begin(), added.end());
    std::sort(entries.begin(), entries.end(),
              [](const Entry& a, const Entry& b) { return a.id < b.id; });
  }
  return first_seen;
}

bool JobLedger::is_known_final(const RepositoryRef& repository, std::int64_t id) const {
  const auto found = final_seen_.find(repository);
  if (found == final_seen_.end()) return false;
  const auto& entries = found->second;
  const auto it = std::lower_bound(entries.begin(), entries.end(), id,
                                   [](const Entry& e, std::int64_t v) { return e.id < v; });
  return it != entries.end() && it->id == id;
}

std::function<bool(std::int64_t)> JobLedger::known_final_lookup(
    const RepositoryRef& repository) const {
  const auto found = final_seen_.find(repository);
  if (found == final_seen_.end()) return [](std::int64_t) { return false; };
  const std::vector<Entry>* entries = &found->second;
  return [entries](std::int64_t id) {
    const auto it = std::lower_bound(entries->begin(), entries->end(), id,
                                     [](const Entry& e, std::int64_t v) { return e.id < v; });
    return it != entries->end() && it->id == id;
  };
}

void JobLedger::forget(const RepositoryRef& repository) { final_seen_.erase(repository); }

std::size_t JobLedger::tracked_jobs() const {
  std::size_t n = 0;
  for (const auto& [ref, entries] : final_seen_) n += entries.size();
  return n;
}

}  // namespace swr::collect
