// What the web server answers: the landing page, the telemetry path (gzip when the client takes
// it), /-/healthy, /-/ready and, with --web.enable-lifecycle, POST or PUT /-/reload; with a web
// config, its response headers on every answer and basic auth on every path. Plain values in and
// out: httplib_adapter.cpp turns httplib's request into a RouteRequest and the RouteResponse into
// httplib's response.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "web/basic_auth.h"
#include "web/web_server.h"

namespace swr::web {

struct RouteRequest {
  std::string_view method;
  std::string_view path;
  std::string_view authorization;    // the Authorization header; empty when absent
  std::string_view accept_encoding;  // the Accept-Encoding header; empty when absent
};

struct RouteResponse {
  int status = 200;
  // In the order they are set, ahead of Content-Type and Content-Length.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string content_type;
  // The body: exactly body_size bytes, written by write_body (empty when body_size is 0). HEAD
  // gets the same headers and no body.
  std::size_t body_size = 0;
  std::function<bool(const BodySink&)> write_body;
  // The connection carries no further request after this answer (a request body may be left
  // unread, or the configuration just changed).
  bool close_connection = false;
};

class Routes {
 public:
  // The options must outlive the routes. Thread-safe: each worker answers its own requests.
  Routes(const WebOptions& options, std::function<Exposition()> exposition,
         std::function<bool()> ready);

  RouteResponse answer(const RouteRequest& request);

 private:
  bool admit(const RouteRequest& request, RouteResponse& response);
  RouteResponse exposition(const RouteRequest& request, RouteResponse response) const;

  const WebOptions& options_;
  const std::function<Exposition()> exposition_;
  const std::function<bool()> ready_;
  BasicAuthenticator authenticator_;
};

// Whether an Accept-Encoding header value allows gzip (RFC 9110 12.5.3): "gzip" or "x-gzip", or
// failing that "*", with a q-value above 0. An empty or absent header allows none.
bool accepts_gzip(std::string_view accept_encoding);

}  // namespace swr::web
