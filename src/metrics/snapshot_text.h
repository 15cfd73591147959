// Snapshot -> exposition text: the swr_sync_* series and the exporter's cycle gauges, written
// straight from the snapshot. No intermediate metric objects: at 10,000 repositories those took
// more memory than all the jobs the exporter tracks.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "collect/snapshot.h"
#include "model/metric_families.h"

namespace swr::metrics {

// Receives the text in order, in pieces of about the chunk size.
using TextSink = std::function<void(std::string_view)>;

// A family `families` turns off is not written, nor walked: it costs nothing.
void write_snapshot_text(const collect::Snapshot& snapshot, const TextSink& sink,
                         const MetricFamilySelection& families = {},
                         std::size_t chunk_bytes = 64 * 1024);
// The two halves of it: the series of every repository, which only change with
// Snapshot::data_version, and the gauges of the cycle itself.
void write_repository_text(const collect::Snapshot& snapshot, const TextSink& sink,
                           const MetricFamilySelection& families = {},
                           std::size_t chunk_bytes = 64 * 1024);
void write_cycle_text(const collect::Snapshot& snapshot, const TextSink& sink,
                      const MetricFamilySelection& families = {});
// All of it in one string (tests, --once).
std::string snapshot_text(const collect::Snapshot& snapshot,
                          const MetricFamilySelection& families = {});

}  // namespace swr::metrics
