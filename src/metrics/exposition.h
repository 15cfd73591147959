// The bytes /metrics serves. The cycle's part is rendered and gzipped once when a snapshot is
// published; the live part (API counters, process metrics) at most once per `live_max_age`. A
// scrape copies two pointers, and concurrent scrapes never wait on each other or on the poll.
#pragma once

#include <prometheus/metric_family.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "collect/snapshot.h"

namespace swr::metrics {

std::string render_text(const std::vector<prometheus::MetricFamily>& families);
// A gzip member; members concatenate into one valid gzip stream (RFC 1952 section 2.2).
std::string gzip(std::string_view data);

struct Rendered {
  std::shared_ptr<const std::string> text;
  std::shared_ptr<const std::string> gzip;
};

class ExpositionCache {
 public:
  using LiveFamilies = std::function<std::vector<prometheus::MetricFamily>()>;
  explicit ExpositionCache(LiveFamilies live,
                           std::chrono::milliseconds live_max_age = std::chrono::seconds(1));

  void publish(const collect::Snapshot& snapshot);
  // Both the text and its gzip, whole.
  Rendered current() const;

 private:
  Rendered rebuild() const;

  LiveFamilies live_;
  std::chrono::milliseconds live_max_age_;
  mutable std::mutex mutex_;  // guards the fields below; held only to copy pointers
  std::shared_ptr<const std::string> cycle_text_;
  std::shared_ptr<const std::string> cycle_gzip_;
  std::uint64_t generation_ = 0;  // bumped by publish
  mutable Rendered cached_;
  mutable std::uint64_t cached_generation_ = ~std::uint64_t{0};
  mutable std::chrono::steady_clock::time_point cached_at_{};
  mutable std::mutex rebuild_mutex_;  // one rebuild at a time; others serve what is cached
};

}  // namespace swr::metrics
