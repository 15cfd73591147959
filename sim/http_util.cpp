#include "http_util.h"

#include <cctype>

namespace swr::sim {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      const int hi = hex_value(text[i + 1]);
      const int lo = hex_value(text[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(text[i]);
  }
  return out;
}

huaweicloud::KeyValues decode_query(std::string_view target) {
  huaweicloud::KeyValues out;
  const std::size_t q = target.find('?');
  if (q == std::string_view::npos) return out;
  std::string_view query = target.substr(q + 1);
  if (const std::size_t hash = query.find('#'); hash != std::string_view::npos) {
    query = query.substr(0, hash);
  }
  std::size_t start = 0;
  while (start < query.size()) {
    const std::size_t amp = query.find('&', start);
    const std::size_t end = amp == std::string_view::npos ? query.size() : amp;
    const std::string_view pair = query.substr(start, end - start);
    if (!pair.empty()) {
      const std::size_t eq = pair.find('=');
      if (eq == std::string_view::npos) {
        out.emplace_back(percent_decode(pair), "");
      } else {
        out.emplace_back(percent_decode(pair.substr(0, eq)), percent_decode(pair.substr(eq + 1)));
      }
    }
    if (amp == std::string_view::npos) break;
    start = amp + 1;
  }
  return out;
}

ReceivedRequest to_received(const httplib::Request& req) {
  ReceivedRequest out;
  out.method = req.method;
  out.path = req.path;
  out.query = decode_query(req.target);
  for (const auto& [name, value] : req.headers) out.headers.emplace_back(name, value);
  out.body = req.body;
  return out;
}

bool is_json_content_type(std::string_view value) {
  constexpr std::string_view kJson = "application/json";
  if (value.size() < kJson.size()) return false;
  for (std::size_t i = 0; i < kJson.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(value[i])) != kJson[i]) return false;
  }
  const std::string_view rest = value.substr(kJson.size());
  return rest.empty() || rest.front() == ';' || rest.front() == ' ';
}

}  // namespace swr::sim
