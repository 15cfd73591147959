#include "web/routes.h"

#include <algorithm>
#include <cctype>
#include <memory>
#include <optional>

#include "web/live_web_config.h"

namespace swr::web {
namespace {

constexpr const char* kExpositionContentType = "text/plain; version=0.0.4; charset=utf-8";
constexpr const char* kTextContentType = "text/plain; charset=utf-8";
constexpr const char* kHtmlContentType = "text/html; charset=utf-8";
constexpr const char* kAllowedMethods = "GET, HEAD";

std::string html_escape(std::string_view text) {
  std::string out;
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string landing_page(const WebOptions& options) {
  const std::string path = html_escape(options.telemetry_path);
  std::string version = options.version.empty() ? "" : " " + html_escape(options.version);
  return "<!DOCTYPE html>\n<html>\n<head><meta charset=\"utf-8\"><title>SWR Sync Exporter</title>"
         "</head>\n<body>\n<h1>SWR Sync Exporter" +
         version +
         "</h1>\n<p>Prometheus exporter for Huawei Cloud SWR image sync jobs.</p>\n<ul>\n"
         "<li><a href=\"" +
         path + "\">" + path +
         "</a></li>\n<li><a href=\"/-/healthy\">/-/healthy</a></li>\n"
         "<li><a href=\"/-/ready\">/-/ready</a></li>\n</ul>\n</body>\n</html>\n";
}

// A response with a body held in memory.
void send(RouteResponse& response, int status, const char* content_type, std::string body) {
  response.status = status;
  response.content_type = content_type;
  response.body_size = body.size();
  if (body.empty()) return;
  response.write_body = [body = std::make_shared<const std::string>(std::move(body))](
                            const BodySink& sink) { return sink(*body); };
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t");
  return text.substr(first, last - first + 1);
}

// A qvalue (RFC 9110 12.4.2) is 0 to 1 with at most three decimals; only "is it zero" matters
// here. Anything malformed counts as zero, so a garbled header never gets a compressed body.
bool qvalue_positive(std::string_view q) {
  if (q.empty() || (q[0] != '0' && q[0] != '1')) return false;
  if (q.size() > 1 && (q[1] != '.' || q.size() > 5)) return false;
  bool positive = q[0] == '1';
  for (std::size_t i = 2; i < q.size(); ++i) {
    if (q[i] < '0' || q[i] > '9') return false;
    if (q[0] == '1' && q[i] != '0') return false;  // above 1
    positive = positive || q[i] != '0';
  }
  return positive;
}

bool get_or_head(const RouteRequest& request) {
  return request.method == "GET" || request.method == "HEAD";
}

}  // namespace

Routes::Routes(const WebOptions& options, std::function<Exposition()> exposition,
               std::function<bool()> ready)
    : options_(options), exposition_(std::move(exposition)), ready_(std::move(ready)) {}

RouteResponse Routes::answer(const RouteRequest& request) {
  RouteResponse response;
  if (!admit(request, response)) return response;
  if (request.path == "/-/reload" && options_.reload &&
      (request.method == "POST" || request.method == "PUT")) {
    response.close_connection = true;
    if (auto reloaded = options_.reload(); !reloaded) {
      send(response, 500, kTextContentType, "failed to reload config: " + reloaded.error() + "\n");
    } else {
      send(response, 200, kTextContentType, "OK\n");
    }
    return response;
  }
  if (!get_or_head(request)) {
    // The request body, if any, is left unread, so the connection cannot carry another request.
    response.close_connection = true;
    response.headers.emplace_back("Allow", kAllowedMethods);
    response.headers.emplace_back("Connection", "close");
    send(response, 405, kTextContentType, "Method Not Allowed\n");
    return response;
  }
  if (request.path == options_.telemetry_path) {
    return exposition(request, std::move(response));
  }
  if (request.path == "/") {
    send(response, 200, kHtmlContentType, landing_page(options_));
  } else if (request.path == "/-/healthy") {
    send(response, 200, kTextContentType, "OK");
  } else if (request.path == "/-/ready") {
    if (ready_()) {
      send(response, 200, kTextContentType, "OK");
    } else {
      send(response, 503, kTextContentType, "Not ready: the first poll cycle has not finished");
    }
  } else {
    send(response, 404, kTextContentType, "Not Found\n");
  }
  return response;
}

// The web config's headers on every response; basic auth, when it has users, on every path.
// True when the request may go on.
bool Routes::admit(const RouteRequest& request, RouteResponse& response) {
  if (!options_.web_config) return true;
  const std::shared_ptr<const ActiveWebConfig> active = options_.web_config->current();
  for (const auto& [name, value] : active->config.http.headers) {
    response.headers.emplace_back(name, value);
  }
  const auto& users = active->config.basic_auth_users;
  if (users.empty() || authenticator_.allows(users, request.authorization)) return true;
  if (!get_or_head(request)) {
    // The request body, if any, is left unread, so the connection cannot carry another request.
    response.close_connection = true;
    response.headers.emplace_back("Connection", "close");
  }
  response.headers.emplace_back("WWW-Authenticate", "Basic");
  send(response, 401, kTextContentType, "Unauthorized\n");
  return false;
}

RouteResponse Routes::exposition(const RouteRequest& request, RouteResponse response) const {
  Exposition exposition = exposition_();
  response.headers.emplace_back("Vary", "Accept-Encoding");
  const bool gzip =
      exposition.write_gzip && exposition.gzip_size > 0 && accepts_gzip(request.accept_encoding);
  if (gzip) response.headers.emplace_back("Content-Encoding", "gzip");
  response.status = 200;
  response.content_type = kExpositionContentType;
  response.body_size = gzip ? exposition.gzip_size : exposition.text_size;
  if (response.body_size > 0) {
    response.write_body =
        gzip ? std::move(exposition.write_gzip) : std::move(exposition.write_text);
  }
  return response;
}

bool accepts_gzip(std::string_view accept_encoding) {
  std::optional<bool> gzip;
  std::optional<bool> any;
  while (!accept_encoding.empty()) {
    const auto comma = accept_encoding.find(',');
    std::string_view element = accept_encoding.substr(0, comma);
    accept_encoding.remove_prefix(comma == std::string_view::npos ? accept_encoding.size()
                                                                  : comma + 1);
    const auto semicolon = element.find(';');
    const std::string coding = lower(trim(element.substr(0, semicolon)));
    if (coding.empty()) continue;
    bool positive = true;  // no q parameter means q=1
    std::string_view params =
        semicolon == std::string_view::npos ? std::string_view{} : element.substr(semicolon + 1);
    while (!params.empty()) {
      const auto next = params.find(';');
      const std::string_view param = trim(params.substr(0, next));
      params.remove_prefix(next == std::string_view::npos ? params.size() : next + 1);
      const auto equals = param.find('=');
      if (equals == std::string_view::npos) continue;
      if (lower(trim(param.substr(0, equals))) == "q") {
        positive = qvalue_positive(trim(param.substr(equals + 1)));
      }
    }
    if (coding == "gzip" || coding == "x-gzip") {
      gzip = gzip.value_or(false) || positive;
    } else if (coding == "*") {
      any = any.value_or(false) || positive;
    }
  }
  return gzip.value_or(any.value_or(false));
}

}  // namespace swr::web
