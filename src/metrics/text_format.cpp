#include "metrics/text_format.h"

#include <charconv>
#include <cmath>

namespace swr::metrics {

namespace {

void append_escaped(std::string& out, std::string_view text, bool quote) {
  for (const char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (quote && c == '"') {
      out += "\\\"";
    } else {
      out.push_back(c);
    }
  }
}

const char* type_name(prometheus::MetricType type) {
  switch (type) {
    case prometheus::MetricType::Counter:
      return "counter";
    case prometheus::MetricType::Gauge:
      return "gauge";
    case prometheus::MetricType::Histogram:
      return "histogram";
    case prometheus::MetricType::Summary:
      return "summary";
    default:
      return "untyped";
  }
}

// name{labels[,extra="value"]} value\n
void append_sample(std::string& out, const std::string& name, const char* suffix,
                   const std::vector<prometheus::ClientMetric::Label>& labels,
                   const char* extra_name, const std::string* extra_value, double value) {
  out += name;
  out += suffix;
  if (!labels.empty() || extra_name != nullptr) {
    out.push_back('{');
    bool first = true;
    for (const auto& label : labels) {
      if (!first) out.push_back(',');
      first = false;
      out += label.name;
      out += "=\"";
      append_escaped(out, label.value, true);
      out.push_back('"');
    }
    if (extra_name != nullptr) {
      if (!first) out.push_back(',');
      out += extra_name;
      out += "=\"";
      out += *extra_value;
      out.push_back('"');
    }
    out.push_back('}');
  }
  out.push_back(' ');
  append_number(out, value);
  out.push_back('\n');
}

}  // namespace

void append_label_value(std::string& out, std::string_view value) {
  append_escaped(out, value, true);
}

void append_number(std::string& out, double value) {
  if (std::isnan(value)) {
    out += "NaN";
    return;
  }
  if (std::isinf(value)) {
    out += value > 0 ? "+Inf" : "-Inf";
    return;
  }
  char buf[64];
  std::to_chars_result r;
  if (value == std::trunc(value) && std::fabs(value) < 1e15) {
    r = std::to_chars(buf, buf + sizeof buf, static_cast<long long>(value));
  } else {
    r = std::to_chars(buf, buf + sizeof buf, value);
  }
  out.append(buf, r.ptr);
}

void append_text(std::string& out, const std::vector<prometheus::MetricFamily>& families) {
  std::string bound;
  for (const auto& family : families) {
    out += "# HELP ";
    out += family.name;
    out.push_back(' ');
    append_escaped(out, family.help, false);
    out += "\n# TYPE ";
    out += family.name;
    out.push_back(' ');
    out += type_name(family.type);
    out.push_back('\n');
    for (const auto& m : family.metric) {
      switch (family.type) {
        case prometheus::MetricType::Counter:
          append_sample(out, family.name, "", m.label, nullptr, nullptr, m.counter.value);
          break;
        case prometheus::MetricType::Gauge:
          append_sample(out, family.name, "", m.label, nullptr, nullptr, m.gauge.value);
          break;
        case prometheus::MetricType::Histogram:
          // The order prometheus-cpp writes: count, sum, buckets.
          append_sample(out, family.name, "_count", m.label, nullptr, nullptr,
                        static_cast<double>(m.histogram.sample_count));
          append_sample(out, family.name, "_sum", m.label, nullptr, nullptr,
                        m.histogram.sample_sum);
          for (const auto& bucket : m.histogram.bucket) {
            bound.clear();
            append_number(bound, bucket.upper_bound);
            append_sample(out, family.name, "_bucket", m.label, "le", &bound,
                          static_cast<double>(bucket.cumulative_count));
          }
          break;
        default:
          append_sample(out, family.name, "", m.label, nullptr, nullptr, m.untyped.value);
          break;
      }
    }
  }
}

}  // namespace swr::metrics
