// The bytes /metrics serves. The cycle's part is rendered straight into gzip once when a snapshot
// is published, and only the gzip is kept; the live part (API counters, process metrics) is
// rendered at most once per `live_max_age`. A scrape copies pointers, and concurrent scrapes never
// wait on each other or on the poll. A client that does not take gzip gets the text inflated as
// it is sent, so the whole text never sits in memory.
#pragma once

#include <prometheus/metric_family.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "collect/snapshot.h"
#include "model/metric_families.h"

namespace swr::metrics {

std::string render_text(const std::vector<prometheus::MetricFamily>& families);

// Takes the bytes in order; false stops the writing.
using ByteSink = std::function<bool(std::string_view)>;

struct GzipMember {
  std::string gzip;
  std::size_t text_bytes = 0;
};

// A cycle's series: those of the repositories, kept from cycle to cycle while the snapshot's
// data_version stays the same, then the cycle's own gauges. Two gzip members that concatenate.
struct CyclePart {
  std::shared_ptr<const GzipMember> repositories;
  GzipMember gauges;
  std::uint64_t data_version = 0;
  MetricFamilySelection families;  // what `repositories` was rendered with
};

struct Rendered {
  std::shared_ptr<const CyclePart> cycle;
  std::shared_ptr<const std::string> live_text;
  std::shared_ptr<const std::string> live_gzip;  // a second member, so the two concatenate

  std::size_t text_size() const {
    return cycle->repositories->text_bytes + cycle->gauges.text_bytes + live_text->size();
  }
  std::size_t gzip_size() const {
    return cycle->repositories->gzip.size() + cycle->gauges.gzip.size() + live_gzip->size();
  }
  // Each writes its whole stream to `sink`; false if the sink refused or the gzip was corrupt.
  bool write_text(const ByteSink& sink) const;
  bool write_gzip(const ByteSink& sink) const;
  std::string text() const;
};

class ExpositionCache {
 public:
  using LiveFamilies = std::function<std::vector<prometheus::MetricFamily>()>;
  explicit ExpositionCache(LiveFamilies live,
                           std::chrono::milliseconds live_max_age = std::chrono::seconds(1));

  // The families served from now on: the live part drops the others before it is rendered, and
  // the next publish renders only these (the published cycle keeps its families until then).
  void select(const MetricFamilySelection& families);
  // Renders the snapshot's repository series only when its data_version or the selection is new.
  void publish(const collect::Snapshot& snapshot);
  Rendered current() const;

 private:
  Rendered rebuild() const;

  LiveFamilies live_;
  std::chrono::milliseconds live_max_age_;
  mutable std::mutex mutex_;  // guards the fields below; held only to copy pointers
  std::shared_ptr<const CyclePart> cycle_;
  MetricFamilySelection families_;
  std::uint64_t generation_ = 0;  // bumped by publish and select
  mutable Rendered cached_;
  mutable std::uint64_t cached_generation_ = ~std::uint64_t{0};
  mutable std::chrono::steady_clock::time_point cached_at_{};
  mutable std::mutex rebuild_mutex_;  // one rebuild at a time; others serve what is cached
};

}  // namespace swr::metrics
