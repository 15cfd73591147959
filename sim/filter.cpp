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

FilterParse parse_filter(std::string_view text, std::span<const std::string_view> allowed) {
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

RepoQueryParse parse_repo_conditions(const Conditions& values) {
  RepoQueryParse out;
  RepositoryQuery& q = out.query;
  for (const auto& [key, value] : values) {
    if (value.empty()) {
      out.error = quoted(key) + " is empty";
      return out;
    }
  }
  const auto find = [&](std::string_view key) -> const std::string* {
    const auto it = values.find(key);
    return it == values.end() ? nullptr : &it->second;
  };
  if (const std::string* v = find("namespace")) q.organization_contains = *v;
  if (const std::string* v = find("name")) q.name_contains = *v;
  if (const std::string* v = find("category")) {
    if (!is_repository_category(*v)) {
      out.error = "category " + quoted(*v) +
                  " must be one of app_server, linux, framework_app, database, lang, other, "
                  "windows, arm";
      return out;
    }
    q.category = *v;
  }
  const std::string* limit = find("limit");
  const std::string* offset = find("offset");
  if ((limit == nullptr) != (offset == nullptr)) {
    out.error = "limit and offset go together: give both or neither";
    return out;
  }
  if (limit) {
    const auto l = parse_non_negative(*limit);
    if (!l || *l < 1 || *l > 1000) {
      out.error = "limit " + quoted(*limit) + " must be an integer from 1 to 1000";
      return out;
    }
    const auto o = parse_non_negative(*offset);
    if (!o) {
      out.error = "offset " + quoted(*offset) + " must be a non-negative integer";
      return out;
    }
    q.limit = static_cast<std::size_t>(*l);
    q.offset = static_cast<std::size_t>(*o);
    if (q.offset % q.limit != 0) {
      out.error = "offset must be a multiple of limit";
      return out;
    }
  }
  const std::string* column = find("order_column");
  const std::string* type = find("order_type");
  if ((column == nullptr) != (type == nullptr)) {
    out.error = "order_column and order_type go together: give both or neither";
    return out;
  }
  if (column) {
    if (*column == "name") {
      q.order = RepositoryOrder::kName;
    } else if (*column == "updated_time" || *column == "updated_at") {
      q.order = RepositoryOrder::kUpdatedTime;
    } else if (*column == "tag_count") {
      q.order = RepositoryOrder::kTagCount;
    } else {
      out.error = "order_column " + quoted(*column) +
                  " must be one of name, updated_time (or updated_at), tag_count";
      return out;
    }
    if (*type == "desc") {
      q.descending = true;
    } else if (*type != "asc") {
      out.error = "order_type " + quoted(*type) + " must be asc or desc";
      return out;
    }
  }
  return out;
}

RepoQueryParse parse_repo_filter(std::string_view text) {
  FilterParse f = parse_filter(text, kRepoConditions);
  if (!f.error.empty()) {
    RepoQueryParse out;
    out.error = std::move(f.error);
    return out;
  }
  return parse_repo_conditions(f.values);
}

}  // namespace swr::sim
