#include "metrics/snapshot_text.h"

#include <cstdint>
#include <initializer_list>
#include <optional>

#include "metrics/family_spec.h"
#include "metrics/text_format.h"

namespace swr::metrics {

namespace {

using collect::DestinationSummary;
using collect::RepositoryState;
using collect::Snapshot;

struct Label {
  std::string_view name;
  std::string_view value;
};

// Collects text and hands it on whenever a chunk is full.
class Writer {
 public:
  Writer(const TextSink& sink, std::size_t chunk_bytes) : sink_(sink), chunk_(chunk_bytes) {
    out_.reserve(chunk_bytes + 4096);
  }
  std::string& out() { return out_; }
  void line_done() {
    if (out_.size() >= chunk_) flush();
  }
  void flush() {
    if (!out_.empty()) sink_(out_);
    out_.clear();
  }

 private:
  const TextSink& sink_;
  const std::size_t chunk_;
  std::string out_;
};

// `{a="x",b="y"` with no closing brace, so a caller can add one more label.
void open_labels(std::string& out, std::initializer_list<Label> labels) {
  char separator = '{';
  for (const Label& label : labels) {
    out += separator;
    separator = ',';
    out += label.name;
    out += "=\"";
    append_label_value(out, label.value);
    out += '"';
  }
}

void value_line(std::string& out, double value) {
  out += ' ';
  append_number(out, value);
  out += '\n';
}

// name{organization,repository,target_region,target_organization — open, for one destination.
void destination_prefix(std::string& prefix, std::string_view name, const RepositoryState& repo,
                        const DestinationSummary& d) {
  prefix.assign(name);
  open_labels(prefix, {{"organization", repo.ref.organization},
                       {"repository", repo.ref.repository},
                       {"target_region", d.target_region},
                       {"target_organization", d.target_organization}});
}

double seconds(std::int64_t us) { return static_cast<double>(us) / 1e6; }

template <typename F>
void each_destination(const Snapshot& s, F&& f) {
  for (const RepositoryState& repo : s.repositories) {
    if (!repo.has_data) continue;
    for (const DestinationSummary& d : repo.destinations) f(repo, d);
  }
}

void sync_jobs(const Snapshot& s, Writer& w, const MetricFamilySpec& spec) {
  const std::string_view name = spec.name;
  append_family_header(w.out(), spec);
  std::string prefix;
  each_destination(s, [&](const RepositoryState& repo, const DestinationSummary& d) {
    destination_prefix(prefix, name, repo, d);
    auto status_line = [&](std::string_view status, std::int64_t count) {
      w.out() += prefix;
      w.out() += ",status=\"";
      w.out() += status;
      w.out() += "\"}";
      value_line(w.out(), static_cast<double>(count));
    };
    for (const SyncStatus status : kDocumentedStatuses) {
      status_line(to_string(status), d.counts[index_of(status)]);
    }
    if (const auto unknown = d.counts[index_of(SyncStatus::kUnknown)]; unknown > 0) {
      status_line("unknown", unknown);
    }
    w.line_done();
  });
}

void durations(const Snapshot& s, Writer& w, const MetricFamilySpec& spec) {
  const std::string_view name = spec.name;
  append_family_header(w.out(), spec);
  std::string labels;  // a="x",b="y" (no braces)
  std::string bound;
  for (const collect::HistogramSeries& series : s.durations) {
    labels.clear();
    for (std::size_t i = 0; i < s.duration_labels.size(); ++i) {
      if (i > 0) labels += ',';
      labels += s.duration_labels[i];
      labels += "=\"";
      append_label_value(labels, series.label_values[i]);
      labels += '"';
    }
    auto open = [&](std::string_view suffix) {
      w.out() += name;
      w.out() += suffix;
      w.out() += '{';
      w.out() += labels;
    };
    // The order prometheus-cpp writes: count, sum, buckets.
    open("_count");
    w.out() += '}';
    value_line(w.out(), static_cast<double>(series.count));
    open("_sum");
    w.out() += '}';
    value_line(w.out(), series.sum);
    std::uint64_t cumulative = 0;
    for (std::size_t b = 0; b < series.bucket_counts.size(); ++b) {
      cumulative += series.bucket_counts[b];
      bound.clear();
      if (b < s.duration_buckets.size()) {
        append_number(bound, s.duration_buckets[b]);
      } else {
        bound = "+Inf";
      }
      open("_bucket");
      w.out() += labels.empty() ? "le=\"" : ",le=\"";
      w.out() += bound;
      w.out() += "\"}";
      value_line(w.out(), static_cast<double>(cumulative));
    }
    w.line_done();
  }
}

void last_finished(const Snapshot& s, Writer& w, const MetricFamilySpec& spec) {
  const std::string_view name = spec.name;
  append_family_header(w.out(), spec);
  std::string prefix;
  each_destination(s, [&](const RepositoryState& repo, const DestinationSummary& d) {
    bool prefixed = false;
    for (const SyncStatus status : kFinalStatuses) {
      const auto& t = d.last_finished_us[index_of(status)];
      if (!t) continue;
      if (!prefixed) destination_prefix(prefix, name, repo, d);
      prefixed = true;
      w.out() += prefix;
      w.out() += ",status=\"";
      w.out() += to_string(status);
      w.out() += "\"}";
      value_line(w.out(), seconds(*t));
    }
    w.line_done();
  });
}

// One gauge per destination: the time `at` gives it, where it has one.
void destination_timestamps(const Snapshot& s, Writer& w, const MetricFamilySpec& spec, auto at) {
  append_family_header(w.out(), spec);
  std::string prefix;
  each_destination(s, [&](const RepositoryState& repo, const DestinationSummary& d) {
    const std::optional<std::int64_t> t = at(d);
    if (!t) return;
    destination_prefix(prefix, spec.name, repo, d);
    w.out() += prefix;
    w.out() += '}';
    value_line(w.out(), seconds(*t));
    w.line_done();
  });
}

void oldest_pending(const Snapshot& s, Writer& w, const MetricFamilySpec& spec) {
  destination_timestamps(s, w, spec,
                         [](const DestinationSummary& d) { return d.oldest_pending_created_us; });
}

void latest_job(const Snapshot& s, Writer& w, const MetricFamilySpec& spec) {
  const std::string_view name = spec.name;
  append_family_header(w.out(), spec);
  std::string prefix;
  each_destination(s, [&](const RepositoryState& repo, const DestinationSummary& d) {
    destination_prefix(prefix, name, repo, d);
    w.out() += prefix;
    w.out() += ",tag=\"";
    append_label_value(w.out(), d.latest_tag);
    w.out() += "\",status=\"";
    w.out() += to_string(d.latest_status);
    w.out() += "\"} 1\n";
    w.line_done();
  });
}

void repository_up(const Snapshot& s, Writer& w, const MetricFamilySpec& spec) {
  const std::string_view name = spec.name;
  append_family_header(w.out(), spec);
  for (const RepositoryState& repo : s.repositories) {
    if (!repo.attempted) continue;  // not read yet (first pass): not down either
    w.out() += name;
    open_labels(w.out(),
                {{"organization", repo.ref.organization}, {"repository", repo.ref.repository}});
    w.out() += repo.up ? "} 1\n" : "} 0\n";
    w.line_done();
  }
}

void latest_job_created(const Snapshot& s, Writer& w, const MetricFamilySpec& spec) {
  destination_timestamps(s, w, spec, [](const DestinationSummary& d) {
    return std::optional<std::int64_t>(d.latest_created_us);
  });
}

void last_push(const Snapshot& s, Writer& w, const MetricFamilySpec& spec) {
  const std::string_view name = spec.name;
  append_family_header(w.out(), spec);
  for (const RepositoryState& repo : s.repositories) {
    // Like every series of a repository, not before the first pass has come to it.
    if (!repo.attempted || !repo.last_push_us) continue;
    w.out() += name;
    open_labels(w.out(),
                {{"organization", repo.ref.organization}, {"repository", repo.ref.repository}});
    w.out() += '}';
    value_line(w.out(), seconds(*repo.last_push_us));
    w.line_done();
  }
}

void rule_info(const Snapshot& s, Writer& w, const MetricFamilySpec& spec) {
  const std::string_view name = spec.name;
  append_family_header(w.out(), spec);
  for (const RepositoryState& repo : s.repositories) {
    if (!repo.attempted || !repo.sync_rules) continue;
    for (const SyncRule& rule : *repo.sync_rules) {
      w.out() += name;
      open_labels(w.out(), {{"organization", repo.ref.organization},
                            {"repository", repo.ref.repository},
                            {"target_region", rule.target_region},
                            {"target_organization", rule.target_organization},
                            {"sync_auto", rule.sync_auto ? "true" : "false"},
                            {"override", rule.override_image ? "true" : "false"}});
      w.out() += "} 1\n";
    }
    w.line_done();
  }
}

// The series of every repository, in the order they are written.
struct RepositoryFamily {
  const MetricFamilySpec& spec;
  void (*write)(const Snapshot&, Writer&, const MetricFamilySpec&);
};
constexpr RepositoryFamily kRepositoryFamilies[] = {
    {family::kSyncJobs, sync_jobs},
    {family::kSyncJobDuration, durations},
    {family::kSyncLastFinished, last_finished},
    {family::kSyncOldestPending, oldest_pending},
    {family::kSyncLatestJob, latest_job},
    {family::kRepositoryUp, repository_up},
    {family::kSyncLatestJobCreated, latest_job_created},
    {family::kRepositoryLastPush, last_push},
    {family::kSyncRule, rule_info},
};

void cycle_gauge(Writer& w, const MetricFamilySelection& families, const MetricFamilySpec& spec,
                 bool present, double value) {
  if (!families.on(spec.name)) return;
  append_family_header(w.out(), spec);
  if (!present) return;
  w.out() += spec.name;
  value_line(w.out(), value);
}

}  // namespace

void write_snapshot_text(const collect::Snapshot& s, const TextSink& sink,
                         const MetricFamilySelection& families, std::size_t chunk_bytes) {
  write_repository_text(s, sink, families, chunk_bytes);
  write_cycle_text(s, sink, families);
}

void write_repository_text(const collect::Snapshot& s, const TextSink& sink,
                           const MetricFamilySelection& families, std::size_t chunk_bytes) {
  Writer w(sink, chunk_bytes);
  for (const RepositoryFamily& entry : kRepositoryFamilies) {
    if (families.on(entry.spec.name)) entry.write(s, w, entry.spec);
  }
  w.flush();
}

void write_cycle_text(const collect::Snapshot& s, const TextSink& sink,
                      const MetricFamilySelection& families) {
  Writer w(sink, 64 * 1024);
  cycle_gauge(w, families, family::kUp, true, s.cycle_done && s.up ? 1 : 0);
  cycle_gauge(w, families, family::kCycleDuration, s.cycle_done, s.cycle_duration_seconds);
  cycle_gauge(w, families, family::kLastCycle, s.cycle_done, s.last_cycle_end);
  cycle_gauge(w, families, family::kLastSuccess, s.last_success_end.has_value(),
              s.last_success_end.value_or(0));
  cycle_gauge(w, families, family::kInitialPassComplete, true, s.initial_pass_complete ? 1 : 0);
  if (const MetricFamilySpec& reads = family::kRepositoryReads; families.on(reads.name)) {
    append_family_header(w.out(), reads);
    for (std::size_t r = 0; r < collect::kReadReasonCount; ++r) {
      w.out() += reads.name;
      w.out() += "{reason=\"";
      w.out() += collect::kReadReasonNames[r];
      w.out() += "\"}";
      value_line(w.out(), static_cast<double>(s.reads[r]));
    }
  }
  cycle_gauge(w, families, family::kRepositoriesSkipped, true,
              static_cast<double>(s.repositories_skipped));
  cycle_gauge(w, families, family::kOldestRepositoryReadAge, s.oldest_read_age_seconds.has_value(),
              s.oldest_read_age_seconds.value_or(0));
  w.flush();
}

std::string snapshot_text(const collect::Snapshot& snapshot,
                          const MetricFamilySelection& families) {
  std::string text;
  write_snapshot_text(
      snapshot, [&](std::string_view piece) { text += piece; }, families);
  return text;
}

}  // namespace swr::metrics
