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

void JobLedger::forget(const RepositoryRef& repository) { final_seen_.erase(repository); }

std::size_t JobLedger::tracked_jobs() const {
  std::size_t n = 0;
  for (const auto& [ref, entries] : final_seen_) n += entries.size();
  return n;
}

std::vector<DestinationSummary> summarize(const std::vector<SyncJob>& jobs) {
  std::map<std::pair<std::string, std::string>, DestinationSummary> by_destination;
  for (const SyncJob& job : jobs) {
    auto [it, inserted] = by_destination.try_emplace({job.target_region, job.target_organization});
    DestinationSummary& d = it->second;
    if (inserted) {
      d.target_region = job.target_region;
      d.target_organization = job.target_organization;
    }
    const std::size_t s = index_of(job.status);
    ++d.counts[s];
    if (is_final(job.status)) {
      auto& last = d.last_finished_us[s];
      if (!last || job.updated_at_us > *last) last = job.updated_at_us;
    } else if (is_pending(job.status)) {
      auto& oldest = d.oldest_pending_created_us;
      if (!oldest || job.created_at_us < *oldest) oldest = job.created_at_us;
    }
    if (inserted ||
        std::tie(job.created_at_us, job.id) > std::tie(d.latest_created_us, d.latest_id)) {
      d.latest_created_us = job.created_at_us;
      d.latest_id = job.id;
      d.latest_tag = job.tag;
      d.latest_status = job.status;
    }
  }
  std::vector<DestinationSummary> out;
  out.reserve(by_destination.size());
  for (auto& [key, summary] : by_destination) out.push_back(std::move(summary));
  return out;
}

}  // namespace swr::collect
