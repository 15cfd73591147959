#include "filter.h"

#include <algorithm>

namespace swr::sim {

namespace {

// Built by hand: `"'" + std::string(s)` trips a GCC 12 -Wrestrict false positive.
std::string quoted(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out.push_back('\'');
  out.append(s);
  out.push_back('\'');
  return out;
}

}  // namespace

FilterParse parse_filter(std::string_view text, std::initializer_list<std::string_view> allowed) {
  FilterParse out;
  if (text.empty()) {
    out.error = "filter is empty";
    return out;
  }
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t bar = text.find('|', start);
    const std::size_t end = bar == std::string_view::npos ? text.size() : bar;
    const std::string_view piece = text.substr(start, end - start);
    if (piece.empty()) {
      out.error = "filter has an empty condition (stray '|')";
      return out;
    }
    const std::size_t sep = piece.find("::");
    if (sep == std::string_view::npos) {
      out.error = "filter condition " + quoted(piece) + " is not key::value";
      return out;
    }
    const std::string_view key = piece.substr(0, sep);
    const std::string_view value = piece.substr(sep + 2);
    if (key.empty() || value.empty()) {
      out.error = "filter condition " + quoted(piece) + " has an empty key or value";
      return out;
    }
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      out.error = "filter key " + quoted(key) + " is not supported";
      return out;
    }
    if (!out.values.emplace(std::string(key), std::string(value)).second) {
      out.error = "filter key " + quoted(key) + " is given twice";
      return out;
    }
    if (bar == std::string_view::npos) break;
    start = bar + 1;
  }
  return out;
}

std::optional<std::int64_t> parse_non_negative(std::string_view text) {
  if (text.empty() || text.size() > 9) return std::nullopt;
  std::int64_t v = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

JobQueryParse parse_job_filter(std::string_view text) {
  JobQueryParse out;
  FilterParse f = parse_filter(text, {"limit", "offset", "order"});
  if (!f.error.empty()) {
    out.error = std::move(f.error);
    return out;
  }
  const auto limit = f.values.find("limit");
  const auto offset = f.values.find("offset");
  if (limit == f.values.end() || offset == f.values.end()) {
    out.error = "filter needs both limit and offset";
    return out;
  }
  const auto l = parse_non_negative(limit->second);
  if (!l || *l < 1 || *l > static_cast<std::int64_t>(kMaxJobLimit)) {
    out.error = "limit " + quoted(limit->second) + " must be an integer from 1 to 1000";
    return out;
  }
  const auto o = parse_non_negative(offset->second);
  if (!o) {
    out.error = "offset " + quoted(offset->second) + " must be a non-negative integer";
    return out;
  }
  out.query.limit = static_cast<std::size_t>(*l);
  out.query.offset = static_cast<std::size_t>(*o);
  if (const auto order = f.values.find("order"); order != f.values.end()) {
    if (order->second == "desc") {
      out.query.descending = true;
    } else if (order->second != "asc") {
      out.error = "order " + quoted(order->second) + " must be asc or desc";
      return out;
    }
  }
  return out;
}

RepoQueryParse parse_repo_filter(std::string_view text) {
  RepoQueryParse out;
  FilterParse f = parse_filter(text, {"namespace", "name", "limit", "offset"});
  if (!f.error.empty()) {
    out.error = std::move(f.error);
    return out;
  }
  if (const auto it = f.values.find("namespace"); it != f.values.end()) {
    out.query.organization_contains = it->second;
  }
  if (const auto it = f.values.find("name"); it != f.values.end()) {
    out.query.name_contains = it->second;
  }
  if (const auto it = f.values.find("limit"); it != f.values.end()) {
    const auto l = parse_non_negative(it->second);
    if (!l || *l < 1 || *l > 1000) {
      out.error = "limit " + quoted(it->second) + " must be an integer from 1 to 1000";
      return out;
    }
    out.query.limit = static_cast<std::size_t>(*l);
  }
  if (const auto it = f.values.find("offset"); it != f.values.end()) {
    const auto o = parse_non_negative(it->second);
    if (!o) {
      out.error = "offset " + quoted(it->second) + " must be a non-negative integer";
      return out;
    }
    out.query.offset = static_cast<std::size_t>(*o);
  }
  if (out.query.offset % out.query.limit != 0) {
    out.error = "offset must be a multiple of limit";
    return out;
  }
  return out;
}

}  // namespace swr::sim
