// Snapshot -> metric families: the swr_sync_* series and the exporter's own cycle gauges.
#pragma once

#include <prometheus/metric_family.h>

#include <vector>

#include "collect/snapshot.h"

namespace swr::metrics {

std::vector<prometheus::MetricFamily> snapshot_families(const collect::Snapshot& snapshot);

}  // namespace swr::metrics
