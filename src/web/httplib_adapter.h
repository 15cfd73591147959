// The web server's only contact with cpp-httplib (httplib.h is included by httplib_adapter.cpp
// alone): an httplib::Server whose accept loop hands each connection to serve_connection(), whose
// request parser reads from a ConnectionStream, whose workers are a BoundedThreadPool and whose
// every request is answered by Routes. httplib_adapter.cpp lists the internals it relies on.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "web/web_server.h"

namespace swr::web {

class Routes;

class HttplibServer {
 public:
  // Everything passed must outlive the server. `wake_fd` becomes readable when the server stops;
  // `stopping` is set then.
  HttplibServer(const WebOptions& options, Routes& routes, int wake_fd,
                const std::atomic<bool>& stopping);
  ~HttplibServer();
  HttplibServer(const HttplibServer&) = delete;
  HttplibServer& operator=(const HttplibServer&) = delete;

  // Binds and listens on host (an address, "::" or "0.0.0.0") and port, 0 picking a free port.
  // The bound port, or -1 (httplib keeps the reason to itself).
  int bind(const std::string& host, int port);
  // Accepts and serves until close_listener(). Call after a successful bind().
  void listen();
  // Shuts and closes the listening socket, so listen() returns. Async-signal-safe; may come before
  // bind() or listen(), or twice.
  void close_listener();

 private:
  class Server;
  std::unique_ptr<Server> server_;
};

}  // namespace swr::web
