// The metric tables people read, checked against the catalogue (model/metric_families.h):
// docs/metrics.md's full table both ways (names, types, labels, which are always served), and
// README's short table (its names, and the labels it spells out).
//
// Checked rather than generated: the tables' other columns (series counts, meaning, links) are
// prose written for readers, which has no place in the C++ catalogue; a test keeps the prose where
// it is and says exactly which row disagrees.
#include <doctest/doctest.h>

#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "model/metric_families.h"

using namespace swr;

namespace {

std::string read_source_file(const std::string& relative) {
  std::ifstream in(std::string(SWR_SOURCE_DIR) + "/" + relative, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), "cannot read " << relative);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string trim(std::string text) {
  const auto first = text.find_first_not_of(' ');
  if (first == std::string::npos) return {};
  return text.substr(first, text.find_last_not_of(' ') - first + 1);
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::istringstream in(text);
  std::string part;
  while (std::getline(in, part, separator)) parts.push_back(trim(part));
  return parts;
}

// The rows of the first table after the line `header`, each split into its cells.
std::vector<std::vector<std::string>> table_after(const std::string& text,
                                                  const std::string& header) {
  std::istringstream in(text);
  std::string line;
  bool found = false;
  while (std::getline(in, line)) {
    if (line == header) {
      found = true;
      break;
    }
  }
  REQUIRE_MESSAGE(found, "no line " << header);
  std::vector<std::vector<std::string>> rows;
  while (std::getline(in, line) && line.starts_with("|")) {
    if (line.starts_with("|---")) continue;
    std::vector<std::string> cells = split(line.substr(1, line.size() - 2), '|');
    rows.push_back(std::move(cells));
  }
  return rows;
}

// The backticked words of a cell.
std::vector<std::string> code_spans(const std::string& cell) {
  std::vector<std::string> spans;
  const std::regex span("`([^`]*)`");
  for (std::sregex_iterator it(cell.begin(), cell.end(), span), end; it != end; ++it) {
    spans.push_back((*it)[1]);
  }
  return spans;
}

std::optional<MetricType> type_named(const std::string& text) {
  if (text == "counter") return MetricType::kCounter;
  if (text == "gauge") return MetricType::kGauge;
  if (text == "histogram") return MetricType::kHistogram;
  if (text == "gauge (1)") return MetricType::kInfo;
  return std::nullopt;
}

std::vector<std::string> labels_of(const MetricFamilySpec& spec) {
  return {spec.labels.begin(), spec.labels.end()};
}

std::string joined(const std::vector<std::string>& words) {
  std::string out;
  for (const std::string& word : words) out += (out.empty() ? "" : ", ") + word;
  return out;
}

}  // namespace

TEST_CASE("docs/metrics.md's table has the catalogue's families, types and labels, both ways") {
  const auto rows = table_after(read_source_file("docs/metrics.md"),
                                "| name | type | labels | series | meaning |");
  std::map<std::string, int> documented;
  for (const auto& row : rows) {
    CAPTURE(row.front());
    REQUIRE(row.size() == 5);
    const std::vector<std::string> names = code_spans(row[0]);
    REQUIRE_FALSE(names.empty());
    const auto type = type_named(row[1]);
    CHECK_MESSAGE(type.has_value(), "not a type: " << row[1]);
    for (const std::string& name : names) {
      CAPTURE(name);
      ++documented[name];
      const auto index = metric_family_index(name);
      REQUIRE_MESSAGE(index.has_value(), name << " is not in the catalogue");
      const MetricFamilySpec& spec = kMetricFamilies[*index];
      CHECK_MESSAGE(type == spec.type, "the catalogue's type: " << type_text(spec.type));
      if (spec.labels_configured) {
        CHECK(row[2] == "`duration_labels`");
      } else if (row[2].empty()) {
        CHECK(spec.labels.empty());
      } else {
        CHECK_MESSAGE(split(row[2], ',') == labels_of(spec),
                      "the catalogue's labels: " << joined(labels_of(spec)));
      }
      CHECK((row[3].find("always served") != std::string::npos) == spec.always_on);
    }
  }
  for (const MetricFamilySpec& spec : kMetricFamilies) {
    CAPTURE(spec.name);
    CHECK(documented[std::string(spec.name)] == 1);
  }
  CHECK(documented.size() == kMetricFamilies.size());
}

TEST_CASE("README's metric table names catalogue families, with the catalogue's labels") {
  const std::string readme = read_source_file("README.md");
  CHECK(readme.find("[docs/metrics.md](docs/metrics.md)") != std::string::npos);
  const auto rows = table_after(readme, "| name | what it says |");
  CHECK(rows.size() > 8);
  // `{...,tag}`: `...` stands for a destination's labels.
  const std::vector<std::string> destination(std::begin(metric_labels::kDestination),
                                             std::end(metric_labels::kDestination));
  int names = 0;
  for (const auto& row : rows) {
    CAPTURE(row.front());
    REQUIRE(row.size() == 2);
    for (const std::string& span : code_spans(row[0])) {
      CAPTURE(span);
      const auto brace = span.find('{');
      const std::string name = span.substr(0, brace);
      const auto index = metric_family_index(name);
      REQUIRE_MESSAGE(index.has_value(), name << " is not in the catalogue");
      ++names;
      if (brace == std::string::npos) continue;
      REQUIRE(span.back() == '}');
      std::vector<std::string> labels;
      for (const std::string& label : split(span.substr(brace + 1, span.size() - brace - 2), ',')) {
        if (label == "...") {
          labels.insert(labels.end(), destination.begin(), destination.end());
        } else {
          labels.push_back(label);
        }
      }
      CHECK_MESSAGE(labels == labels_of(kMetricFamilies[*index]),
                    "the catalogue's labels: " << joined(labels_of(kMetricFamilies[*index])));
    }
  }
  CHECK(names > 15);
}
