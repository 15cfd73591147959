// The bytes /metrics serves: the cycle's part rendered (and gzipped) once when a snapshot is
// published, the live part (API counters, process metrics) rendered per scrape.
#pragma once

#include <prometheus/metric_family.h>

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
  explicit ExpositionCache(LiveFamilies live);

  void publish(const collect::Snapshot& snapshot);
  // Text is always set; gzip when `with_gzip`.
  Rendered current(bool with_gzip) const;

 private:
  LiveFamilies live_;
  mutable std::mutex mutex_;
  std::shared_ptr<const std::string> cycle_text_;
  std::shared_ptr<const std::string> cycle_gzip_;
};

}  // namespace swr::metrics
