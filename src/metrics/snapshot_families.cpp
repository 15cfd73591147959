#include "metrics/snapshot_families.h"

#include <functional>
#include <limits>

namespace swr::metrics {

namespace {

using collect::DestinationSummary;
using collect::RepositoryState;
using collect::Snapshot;
using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

constexpr const char* kFromPoll =
    " (from the background poll of the SWR API; see swr_exporter_last_cycle_timestamp_seconds for "
    "its age)";

ClientMetric gauge(std::vector<ClientMetric::Label> labels, double value) {
  ClientMetric m;
  m.label = std::move(labels);
  m.gauge.value = value;
  return m;
}

std::vector<ClientMetric::Label> destination_labels(const RepositoryState& repo,
                                                    const DestinationSummary& d) {
  return {{"organization", repo.ref.organization},
          {"repository", repo.ref.repository},
          {"target_region", d.target_region},
          {"target_organization", d.target_organization}};
}

std::vector<ClientMetric::Label> with(std::vector<ClientMetric::Label> labels, const char* name,
                                      std::string value) {
  labels.push_back({name, std::move(value)});
  return labels;
}

double seconds(std::int64_t us) { return static_cast<double>(us) / 1e6; }

using Generate = std::function<void(const Snapshot&, std::vector<ClientMetric>&)>;

// Calls `f` for every destination of every repository that has data.
void each_destination(
    const Snapshot& s,
    const std::function<void(const RepositoryState&, const DestinationSummary&)>& f) {
  for (const RepositoryState& repo : s.repositories) {
    if (!repo.has_data) continue;
    for (const DestinationSummary& d : repo.destinations) f(repo, d);
  }
}

void sync_jobs(const Snapshot& s, std::vector<ClientMetric>& out) {
  each_destination(s, [&](const RepositoryState& repo, const DestinationSummary& d) {
    const auto labels = destination_labels(repo, d);
    for (const SyncStatus status : kDocumentedStatuses) {
      out.push_back(gauge(with(labels, "status", std::string(to_string(status))),
                          static_cast<double>(d.counts[index_of(status)])));
    }
    if (const auto unknown = d.counts[index_of(SyncStatus::kUnknown)]; unknown > 0) {
      out.push_back(gauge(with(labels, "status", "unknown"), static_cast<double>(unknown)));
    }
  });
}

void last_finished(const Snapshot& s, std::vector<ClientMetric>& out) {
  each_destination(s, [&](const RepositoryState& repo, const DestinationSummary& d) {
    for (const SyncStatus status : kFinalStatuses) {
      if (const auto& t = d.last_finished_us[index_of(status)]) {
        out.push_back(
            gauge(with(destination_labels(repo, d), "status", std::string(to_string(status))),
                  seconds(*t)));
      }
    }
  });
}

void oldest_pending(const Snapshot& s, std::vector<ClientMetric>& out) {
  each_destination(s, [&](const RepositoryState& repo, const DestinationSummary& d) {
    if (d.oldest_pending_created_us) {
      out.push_back(gauge(destination_labels(repo, d), seconds(*d.oldest_pending_created_us)));
    }
  });
}

void latest_job(const Snapshot& s, std::vector<ClientMetric>& out) {
  each_destination(s, [&](const RepositoryState& repo, const DestinationSummary& d) {
    auto labels = with(destination_labels(repo, d), "tag", d.latest_tag);
    out.push_back(
        gauge(with(std::move(labels), "status", std::string(to_string(d.latest_status))), 1));
  });
}

void durations(const Snapshot& s, std::vector<ClientMetric>& out) {
  for (const collect::HistogramSeries& series : s.durations) {
    ClientMetric m;
    for (std::size_t i = 0; i < s.duration_labels.size(); ++i) {
      m.label.push_back({s.duration_labels[i], series.label_values[i]});
    }
    std::uint64_t cumulative = 0;
    for (std::size_t b = 0; b < series.bucket_counts.size(); ++b) {
      cumulative += series.bucket_counts[b];
      const double bound = b < s.duration_buckets.size() ? s.duration_buckets[b]
                                                         : std::numeric_limits<double>::infinity();
      m.histogram.bucket.push_back({cumulative, bound});
    }
    m.histogram.sample_count = series.count;
    m.histogram.sample_sum = series.sum;
    out.push_back(std::move(m));
  }
}

void repository_up(const Snapshot& s, std::vector<ClientMetric>& out) {
  for (const RepositoryState& repo : s.repositories) {
    out.push_back(
        gauge({{"organization", repo.ref.organization}, {"repository", repo.ref.repository}},
              repo.up ? 1 : 0));
  }
}

struct FamilySpec {
  const char* name;
  const char* help;
  MetricType type;
  Generate generate;
  bool from_poll;  // add the note on where values come from
};

const std::vector<FamilySpec>& table() {
  static const std::vector<FamilySpec> kTable = {
      {"swr_sync_jobs", "Sync jobs the SWR API lists now, by destination and status",
       MetricType::Gauge, sync_jobs, true},
      {"swr_sync_job_duration_seconds",
       "updatedAt - createdAt of sync jobs in a final status, each job observed once when first "
       "seen final",
       MetricType::Histogram, durations, true},
      {"swr_sync_last_finished_timestamp_seconds",
       "updatedAt of the newest sync job that ended in this status", MetricType::Gauge,
       last_finished, true},
      {"swr_sync_oldest_pending_job_created_timestamp_seconds",
       "createdAt of the oldest sync job still waiting or running", MetricType::Gauge,
       oldest_pending, true},
      {"swr_sync_latest_job_info", "The newest sync job of each destination, value 1",
       MetricType::Gauge, latest_job, true},
      {"swr_exporter_repository_up", "1 if the last fetch of this repository's sync jobs succeeded",
       MetricType::Gauge, repository_up, true},
      {"swr_up", "1 if the last poll cycle fetched every repository, else 0", MetricType::Gauge,
       [](const Snapshot& s, std::vector<ClientMetric>& out) {
         out.push_back(gauge({}, s.cycle_done && s.up ? 1 : 0));
       },
       false},
      {"swr_exporter_cycle_duration_seconds", "Length of the last poll cycle", MetricType::Gauge,
       [](const Snapshot& s, std::vector<ClientMetric>& out) {
         if (s.cycle_done) out.push_back(gauge({}, s.cycle_duration_seconds));
       },
       false},
      {"swr_exporter_last_cycle_timestamp_seconds", "End of the last poll cycle", MetricType::Gauge,
       [](const Snapshot& s, std::vector<ClientMetric>& out) {
         if (s.cycle_done) out.push_back(gauge({}, s.last_cycle_end));
       },
       false},
      {"swr_exporter_last_success_timestamp_seconds",
       "End of the last poll cycle that fetched every repository", MetricType::Gauge,
       [](const Snapshot& s, std::vector<ClientMetric>& out) {
         if (s.last_success_end) out.push_back(gauge({}, *s.last_success_end));
       },
       false},
  };
  return kTable;
}

}  // namespace

void each_snapshot_family(const collect::Snapshot& snapshot,
                          const std::function<void(prometheus::MetricFamily&&)>& take) {
  for (const FamilySpec& spec : table()) {
    MetricFamily family;
    family.name = spec.name;
    family.help = std::string(spec.help) + (spec.from_poll ? kFromPoll : "") + ".";
    family.type = spec.type;
    spec.generate(snapshot, family.metric);
    take(std::move(family));
  }
}

std::vector<prometheus::MetricFamily> snapshot_families(const collect::Snapshot& snapshot) {
  std::vector<MetricFamily> families;
  each_snapshot_family(snapshot, [&](MetricFamily&& f) { families.push_back(std::move(f)); });
  return families;
}

}  // namespace swr::metrics
