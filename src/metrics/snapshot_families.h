// Snapshot -> metric families: the swr_sync_* series and the exporter's own cycle gauges.
#pragma once

#include <prometheus/metric_family.h>

#include <functional>
#include <vector>

#include "collect/snapshot.h"

namespace swr::metrics {

std::vector<prometheus::MetricFamily> snapshot_families(const collect::Snapshot& snapshot);
// The same, one family at a time, so a caller that renders them never holds them all.
void each_snapshot_family(const collect::Snapshot& snapshot,
                          const std::function<void(prometheus::MetricFamily&&)>& take);

}  // namespace swr::metrics
