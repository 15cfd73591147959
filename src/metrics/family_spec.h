// The catalogue's entries (model/metric_families.h) as prometheus-cpp and the text format want
// them, so every family is written with the catalogue's name, HELP text and type.
#pragma once

#include <prometheus/metric_family.h>

#include <string>

#include "model/metric_families.h"

namespace swr::metrics {

prometheus::MetricType prometheus_type(MetricType type);

// A family with the catalogue's name, help and type and no series yet.
prometheus::MetricFamily empty_family(const MetricFamilySpec& spec);

// `# HELP name help\n# TYPE name type\n`, as the text format writes them.
void append_family_header(std::string& out, const MetricFamilySpec& spec);

}  // namespace swr::metrics
