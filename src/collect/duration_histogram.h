// swr_sync_job_duration_seconds: cumulative across cycles, each job observed once.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "collect/snapshot.h"
#include "model/sync_job.h"

namespace swr::collect {

class DurationHistogram {
 public:
  // labels: a subset of organization, repository, target_region, target_organization, status.
  DurationHistogram(std::vector<std::string> labels, std::vector<double> buckets);
  // Not copied: recent_ points into series_.
  DurationHistogram(const DurationHistogram&) = delete;
  DurationHistogram& operator=(const DurationHistogram&) = delete;

  void observe(const RepositoryRef& repository, const SyncJob& job);
  // Keeps only the series of destinations that are still there, and makes sure every kept one
  // has a series for each final status (zero until a job ends that way), so alerts never go
  // silent for want of a series.
  void retain(const std::vector<RepositoryState>& repositories);

  const std::vector<std::string>& labels() const { return labels_; }
  const std::vector<double>& buckets() const { return buckets_; }
  std::vector<HistogramSeries> series() const;

 private:
  using Key = std::vector<std::string>;
  Key key_for(const RepositoryRef& repository, const std::string& target_region,
              const std::string& target_organization, SyncStatus status) const;

  HistogramSeries& series_for(const RepositoryRef& repository, const SyncJob& job);

  std::vector<std::string> labels_;
  std::vector<double> buckets_;
  std::map<Key, HistogramSeries> series_;

  // The series last observed for one repository, by destination and status: the jobs of a
  // repository come together, so most observations find theirs here without building a key.
  // Emptied by retain(), which may erase series.
  struct Recent {
    std::string target_region;
    std::string target_organization;
    SyncStatus status;
    HistogramSeries* series;
  };
  RepositoryRef recent_repository_;
  std::vector<Recent> recent_;
};

}  // namespace swr::collect
