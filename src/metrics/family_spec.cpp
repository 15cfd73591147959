#include "metrics/family_spec.h"

namespace swr::metrics {

prometheus::MetricType prometheus_type(MetricType type) {
  switch (type) {
    case MetricType::kCounter:
      return prometheus::MetricType::Counter;
    case MetricType::kHistogram:
      return prometheus::MetricType::Histogram;
    case MetricType::kGauge:
    case MetricType::kInfo:
      break;
  }
  return prometheus::MetricType::Gauge;
}

prometheus::MetricFamily empty_family(const MetricFamilySpec& spec) {
  prometheus::MetricFamily family;
  family.name = spec.name;
  family.help = help_text(spec);
  family.type = prometheus_type(spec.type);
  return family;
}

void append_family_header(std::string& out, const MetricFamilySpec& spec) {
  out += "# HELP ";
  out += spec.name;
  out += ' ';
  out += spec.help;
  if (spec.from_poll) out += kFromPoll;
  out += "\n# TYPE ";
  out += spec.name;
  out += ' ';
  out += type_text(spec.type);
  out += '\n';
}

}  // namespace swr::metrics
