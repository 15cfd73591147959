// The HTTP front end: /, the telemetry path, /-/healthy and /-/ready. It serves the bytes it is
// handed and knows nothing of metrics. With a web config (--web.config.file) it serves HTTPS,
// checks basic auth and adds the configured headers. Its parts: routes.h (what each path answers),
// connection_stream.h (one connection, with deadlines), bounded_thread_pool.h (the workers) and
// httplib_adapter.h (cpp-httplib, which parses and writes HTTP; nothing else includes httplib.h).
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "model/result.h"

namespace swr::web {

class LiveWebConfig;

// Takes a response body's bytes in order; false when the client is gone.
using BodySink = std::function<bool(std::string_view)>;

// One rendering of the exposition, as the text and, when the producer made one, its gzip
// encoding. Each is a size and a function that writes exactly that many bytes to a sink, so a
// producer can stream a body it does not hold whole.
struct Exposition {
  std::size_t text_size = 0;
  std::function<bool(const BodySink&)> write_text;
  std::size_t gzip_size = 0;
  std::function<bool(const BodySink&)> write_gzip;  // may be empty
};

struct WebOptions {
  // "HOST:PORT", "[IPV6]:PORT" or ":PORT" (all interfaces); port 0 picks a free port.
  std::string listen_address = ":9";
  std::string telemetry_path = "/metrics";
  std::string version;  // shown on the landing page
  // Worker threads; each serves one connection at a time, so this also caps concurrent
  // connections. Further accepted connections wait in a queue of the same length, then in the
  // kernel's listen backlog.
  int max_connections = 8;
  // Deadline for reading a whole request (line, headers and any body), counted from its first
  // byte; and for writing a whole response.
  std::chrono::milliseconds read_timeout{10000};
  std::chrono::milliseconds write_timeout{10000};
  // How long an idle keep-alive connection is kept, and how many requests it may carry.
  std::chrono::milliseconds keep_alive_timeout{5000};
  std::size_t keep_alive_max_requests = 100;
  // Cap on the request line plus headers; a request over it is answered 400 and its connection
  // closed.
  std::size_t max_header_bytes = 8192;
  // When set (--web.enable-lifecycle), POST or PUT /-/reload calls it: nothing back means the
  // reload worked (200), a message means it was refused (500 with the message).
  std::function<Result<void>()> reload;
  // When set: TLS (if its tls_server_config enables it), basic auth on every path and the extra
  // response headers, as the file says at the time of each connection and request.
  std::shared_ptr<LiveWebConfig> web_config;
};

class WebServer {
 public:
  WebServer(WebOptions options, std::function<Exposition()> exposition,
            std::function<bool()> ready);
  ~WebServer();
  WebServer(const WebServer&) = delete;
  WebServer& operator=(const WebServer&) = delete;

  // Checks the options and binds the listening socket. On failure returns a message naming the
  // address and the reason (bad address, port in use, permission denied, ...).
  Result<void> bind();
  // The bound port, once bind() succeeded; 0 before.
  int port() const;
  // Serves until stop(); returns at once if stop() came first. Call after a successful bind().
  void run();
  // Safe from any thread, from a signal handler (async-signal-safe) and before run(). Closes the
  // listener and wakes every connection, so run() returns promptly even with idle keep-alive or
  // stalled clients; a response being written is cut off. Final: the server cannot be restarted.
  void stop();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// Splits a listen address into host and port. The host is empty for ":PORT" (all interfaces) and
// has no brackets for "[::1]:PORT". Rejects a missing or out-of-range port and an unbracketed
// IPv6 host.
std::optional<std::pair<std::string, int>> parse_listen_address(std::string_view address);

}  // namespace swr::web
