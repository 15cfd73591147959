#include "collect/summary.h"

#include <map>
#include <tuple>
#include <unordered_map>

namespace swr::collect {

namespace {

using Destinations = std::map<std::pair<std::string, std::string>, DestinationSummary>;

DestinationSummary& destination_of(Destinations& all, const SyncJob& job) {
  auto [it, inserted] = all.try_emplace({job.target_region, job.target_organization});
  if (inserted) {
    it->second.target_region = job.target_region;
    it->second.target_organization = job.target_organization;
  }
  return it->second;
}

bool has_jobs(const DestinationSummary& d) {
  for (const auto n : d.counts) {
    if (n > 0) return true;
  }
  return false;
}

void add(Destinations& all, const SyncJob& job) {
  DestinationSummary& d = destination_of(all, job);
  const bool first = !has_jobs(d);
  const std::size_t s = index_of(job.status);
  ++d.counts[s];
  if (is_final(job.status)) {
    auto& last = d.last_finished_us[s];
    if (!last || job.updated_at_us > *last) last = job.updated_at_us;
  } else if (is_pending(job.status)) {
    auto& oldest = d.oldest_pending_created_us;
    if (!oldest || job.created_at_us < *oldest) oldest = job.created_at_us;
  }
  if (first || std::tie(job.created_at_us, job.id) > std::tie(d.latest_created_us, d.latest_id)) {
    d.latest_created_us = job.created_at_us;
    d.latest_id = job.id;
    d.latest_tag = job.tag;
    d.latest_status = job.status;
  } else if (job.id == d.latest_id) {
    d.latest_tag = job.tag;
    d.latest_status = job.status;
  }
}

std::vector<DestinationSummary> to_vector(Destinations& all) {
  std::vector<DestinationSummary> out;
  out.reserve(all.size());
  for (auto& [key, summary] : all) {
    if (has_jobs(summary)) out.push_back(std::move(summary));
  }
  return out;
}

}  // namespace

std::vector<DestinationSummary> summarize(const std::vector<SyncJob>& jobs) {
  Destinations all;
  for (const SyncJob& job : jobs) add(all, job);
  return to_vector(all);
}

std::vector<DestinationSummary> apply_changes(const std::vector<DestinationSummary>& summary,
                                              const std::vector<SyncJob>& previous_pending,
                                              const std::vector<const SyncJob*>& changed,
                                              const std::vector<SyncJob>& now_pending) {
  Destinations all;
  for (const DestinationSummary& d : summary) {
    all[{d.target_region, d.target_organization}] = d;
  }
  std::unordered_map<std::int64_t, const SyncJob*> before;
  for (const SyncJob& job : previous_pending) before[job.id] = &job;
  for (const SyncJob* job : changed) {
    if (const auto it = before.find(job->id); it != before.end()) {
      DestinationSummary& d = destination_of(all, *it->second);
      auto& count = d.counts[index_of(it->second->status)];
      if (count > 0) --count;
    }
    add(all, *job);
  }
  // Oldest pending comes only from jobs still pending.
  for (auto& [key, d] : all) d.oldest_pending_created_us.reset();
  for (const SyncJob& job : now_pending) {
    auto& oldest = destination_of(all, job).oldest_pending_created_us;
    if (!oldest || job.created_at_us < *oldest) oldest = job.created_at_us;
  }
  return to_vector(all);
}

}  // namespace swr::collect
