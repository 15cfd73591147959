#include "collect/duration_histogram.h"

#include <algorithm>
#include <set>

namespace swr::collect {

DurationHistogram::DurationHistogram(std::vector<std::string> labels, std::vector<double> buckets)
    : labels_(std::move(labels)), buckets_(std::move(buckets)) {}

DurationHistogram::Key DurationHistogram::key_for(const RepositoryRef& repository,
                                                  const std::string& target_region,
                                                  const std::string& target_organization,
                                                  SyncStatus status) const {
  Key key;
  key.reserve(labels_.size());
  for (const std::string& label : labels_) {
    if (label == "organization") {
      key.push_back(repository.organization);
    } else if (label == "repository") {
      key.push_back(repository.repository);
    } else if (label == "target_region") {
      key.push_back(target_region);
    } else if (label == "target_organization") {
      key.push_back(target_organization);
    } else {
      key.emplace_back(to_string(status));
    }
  }
  return key;
}

HistogramSeries& DurationHistogram::series_for(const RepositoryRef& repository,
                                               const SyncJob& job) {
  constexpr std::size_t kRecent = 64;  // destinations x statuses of one repository, at most
  if (recent_.empty() || !(recent_repository_ == repository) || recent_.size() >= kRecent) {
    recent_.clear();
    recent_repository_ = repository;
  }
  for (const Recent& r : recent_) {
    if (r.status == job.status && r.target_region == job.target_region &&
        r.target_organization == job.target_organization) {
      return *r.series;
    }
  }
  const Key key = key_for(repository, job.target_region, job.target_organization, job.status);
  HistogramSeries& s = series_[key];
  if (s.bucket_counts.empty()) {
    s.label_values = key;
    s.bucket_counts.assign(buckets_.size() + 1, 0);
  }
  recent_.push_back({job.target_region, job.target_organization, job.status, &s});
  return s;
}

void DurationHistogram::observe(const RepositoryRef& repository, const SyncJob& job) {
  HistogramSeries& s = series_for(repository, job);
  const double seconds = job.duration_seconds();
  const auto bucket = static_cast<std::size_t>(
      std::lower_bound(buckets_.begin(), buckets_.end(), seconds) - buckets_.begin());
  ++s.bucket_counts[bucket];
  ++s.count;
  s.sum += seconds;
}

void DurationHistogram::retain(const std::vector<RepositoryState>& repositories) {
  recent_.clear();
  std::set<Key> wanted;
  for (const RepositoryState& repo : repositories) {
    if (!repo.has_data) continue;
    for (const DestinationSummary& d : repo.destinations) {
      for (const SyncStatus status : kFinalStatuses) {
        wanted.insert(key_for(repo.ref, d.target_region, d.target_organization, status));
      }
    }
  }
  for (auto it = series_.begin(); it != series_.end();) {
    it = wanted.count(it->first) ? std::next(it) : series_.erase(it);
  }
  for (const Key& key : wanted) {
    HistogramSeries& s = series_[key];
    if (s.bucket_counts.empty()) {
      s.label_values = key;
      s.bucket_counts.assign(buckets_.size() + 1, 0);
    }
  }
}

std::vector<HistogramSeries> DurationHistogram::series() const {
  std::vector<HistogramSeries> out;
  out.reserve(series_.size());
  for (const auto& [key, s] : series_) out.push_back(s);
  return out;
}

}  // namespace swr::collect
