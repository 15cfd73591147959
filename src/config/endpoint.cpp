#include "config/endpoint.h"

#include <charconv>

namespace swr::config::detail {

namespace {

// Huawei Cloud Europe lives under its own domain.
std::string_view cloud_domain(std::string_view region) {
  return region == "eu-west-101" ? "myhuaweicloud.eu" : "myhuaweicloud.com";
}

bool is_ipv4_loopback(std::string_view host) {
  int octets = 0;
  std::size_t pos = 0;
  int first = -1;
  while (pos <= host.size()) {
    const std::size_t end = std::min(host.find('.', pos), host.size());
    const std::string_view part = host.substr(pos, end - pos);
    int value = -1;
    if (part.empty() || part.size() > 3) return false;
    const auto [ptr, ec] = std::from_chars(part.data(), part.data() + part.size(), value);
    if (ec != std::errc() || ptr != part.data() + part.size() || value > 255) return false;
    if (octets == 0) first = value;
    ++octets;
    pos = end + 1;
  }
  return octets == 4 && first == 127;
}

bool valid_port(std::string_view port) {
  if (port.empty() || port.size() > 5) return false;
  int value = 0;
  const auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  return ec == std::errc() && ptr == port.data() + port.size() && value >= 1 && value <= 65535;
}

bool valid_host_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_';
}

}  // namespace

std::string default_swr_endpoint(std::string_view region) {
  return "https://swr-api." + std::string(region) + "." + std::string(cloud_domain(region));
}

std::string default_iam_endpoint(std::string_view region) {
  return "https://iam." + std::string(region) + "." + std::string(cloud_domain(region));
}

bool is_loopback_host(std::string_view host) {
  return host == "localhost" || host == "[::1]" || host == "::1" || is_ipv4_loopback(host);
}

Result<std::string> check_endpoint(std::string_view url) {
  constexpr std::string_view kExample = "like \"https://swr-api.cn-north-4.myhuaweicloud.com\"";
  std::string_view rest;
  bool plain_http = false;
  if (url.starts_with("https://")) {
    rest = url.substr(8);
  } else if (url.starts_with("http://")) {
    rest = url.substr(7);
    plain_http = true;
  } else {
    return unexpected("must be an https:// URL " + std::string(kExample));
  }
  if (rest.ends_with('/')) rest.remove_suffix(1);
  if (rest.find_first_of("/?#") != std::string_view::npos) {
    return unexpected("must be a scheme and host only, without a path, query or fragment, " +
                      std::string(kExample));
  }
  if (rest.find('@') != std::string_view::npos) {
    return unexpected(
        std::string("must not hold user information (`user@`): give credentials in [auth]"));
  }
  std::string_view host = rest;
  std::string_view port;
  if (rest.starts_with('[')) {
    const std::size_t close = rest.find(']');
    if (close == std::string_view::npos || close == 1)
      return unexpected(std::string("has a malformed IPv6 host"));
    host = rest.substr(0, close + 1);
    const std::string_view after = rest.substr(close + 1);
    if (!after.empty()) {
      if (!after.starts_with(':')) return unexpected(std::string("has a malformed IPv6 host"));
      port = after.substr(1);
      if (!valid_port(port)) return unexpected(std::string("has an invalid port: use 1 to 65535"));
    }
  } else {
    const std::size_t colon = rest.find(':');
    if (colon != std::string_view::npos) {
      host = rest.substr(0, colon);
      port = rest.substr(colon + 1);
      if (!valid_port(port)) return unexpected(std::string("has an invalid port: use 1 to 65535"));
    }
    if (host.empty()) return unexpected("has no host " + std::string(kExample));
    for (const char c : host) {
      if (!valid_host_char(c)) return unexpected(std::string("has an invalid host name"));
    }
  }
  if (plain_http && !is_loopback_host(host)) {
    return unexpected(
        std::string("uses plain http:// for a host that is not loopback: use https:// (http:// is "
                    "only allowed for 127.0.0.0/8, ::1 and localhost)"));
  }
  return std::string(url.substr(0, url.size() - (url.ends_with('/') ? 1 : 0)));
}

}  // namespace swr::config::detail
