// cpp-httplib serves the web server's HTTP: it accepts, parses each request and writes each
// response. This file is the only one that includes httplib.h, and it leans on these internals of
// cpp-httplib 0.11.4 (CMakeLists.txt and the static_assert below accept no other version):
//
// - Server::process_and_close_socket(socket_t), a private virtual (the hook SSLServer overrides):
//   replaced, so that each accepted socket goes to serve_connection(), which httplib's own loop
//   cannot do: whole-request deadlines instead of per-read timeouts, a cap on the header bytes,
//   TLS from the web config as it is at each connection, and waits that end the moment the server
//   stops.
// - Server::process_request(Stream&, bool, bool&, const std::function<void(Request&)>&),
//   protected: httplib's request parser and response writer, run on a ConnectionStream; its setup
//   callback clears the request's ranges.
// - Server::svr_sock_, the protected listening socket: close_listener() exchanges it for
//   INVALID_SOCKET and closes it, which ends the accept loop. Server::stop() does the same but
//   only once listen has started, and it is not async-signal-safe.
//
// And on these behaviours of its public interface, checked by tests/unit/web_test.cpp:
//
// - A body given by set_content_provider() with a length is written as it is. set_content()
//   would compress any text/* body whenever Accept-Encoding merely contains "gzip" or "br" (even
//   "gzip;q=0"), and would cut it to a Range.
// - A pre-routing handler that returns Handled gets its response written as it set it.
// - The status line and headers are written apart from the body (hence TCP_NODELAY in
//   serve_connection()).
// - set_socket_options() replaces httplib's default, which adds SO_REUSEPORT.
#include "web/httplib_adapter.h"

#include <httplib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <string_view>

#include "web/bounded_thread_pool.h"
#include "web/connection_stream.h"
#include "web/routes.h"

static_assert(std::string_view(CPPHTTPLIB_VERSION) == "0.11.4",
              "src/web/httplib_adapter.cpp relies on cpp-httplib 0.11.4's internals (listed at the "
              "top of the file): the httplib.h found is another version");

namespace swr::web {
namespace {

// A ConnectionStream as httplib's parser reads from and writes to it.
class StreamAdapter final : public httplib::Stream {
 public:
  explicit StreamAdapter(ConnectionStream& stream) : stream_(stream) {}

  bool is_readable() const override { return stream_.is_readable(); }
  bool is_writable() const override { return stream_.is_writable(); }
  ssize_t read(char* ptr, size_t size) override { return stream_.read(ptr, size); }
  ssize_t write(const char* ptr, size_t size) override { return stream_.write(ptr, size); }
  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    stream_.remote_ip_and_port(ip, port);
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    stream_.local_ip_and_port(ip, port);
  }
  socket_t socket() const override { return stream_.fd(); }

 private:
  ConnectionStream& stream_;
};

// A BoundedThreadPool as httplib's accept loop hands connections to it.
class PoolAdapter final : public httplib::TaskQueue {
 public:
  explicit PoolAdapter(std::size_t threads) : pool_(threads) {}
  void enqueue(std::function<void()> job) override { pool_.enqueue(std::move(job)); }
  void shutdown() override { pool_.shutdown(); }

 private:
  BoundedThreadPool pool_;
};

// The connection the current worker thread is serving, so an answer can close it.
thread_local ConnectionStream* current_connection = nullptr;

// Every body is small or generated per request, so Range is ignored (RFC 9110 14.2 allows it).
// httplib would otherwise slice bodies even of responses that set their status explicitly.
void ignore_ranges(httplib::Request& req) { req.ranges.clear(); }

void fill_response(RouteResponse answer, httplib::Response& res) {
  for (const auto& [name, value] : answer.headers) res.set_header(name, value);
  res.status = answer.status;
  if (answer.body_size == 0) {
    res.set_header("Content-Type", answer.content_type);
    res.set_header("Content-Length", "0");
    return;
  }
  // The whole body in the first call; httplib asks again only for what is still missing, which
  // after a complete first call is nothing.
  res.set_content_provider(answer.body_size, answer.content_type,
                           [write = std::move(answer.write_body)](std::size_t offset, std::size_t,
                                                                  httplib::DataSink& sink) {
                             if (offset != 0) return false;
                             return write([&sink](std::string_view bytes) {
                               return sink.write(bytes.data(), bytes.size());
                             });
                           });
}

}  // namespace

class HttplibServer::Server final : public httplib::Server {
 public:
  Server(const WebOptions& options, Routes& routes, int wake_fd, const std::atomic<bool>& stopping)
      : options_(options), wake_fd_(wake_fd), stopping_(stopping) {
    const auto threads = static_cast<std::size_t>(std::max(1, options_.max_connections));
    new_task_queue = [threads] { return new PoolAdapter(threads); };
    // httplib's default also sets SO_REUSEPORT, which would let a second exporter share the port
    // silently instead of failing to start.
    set_socket_options([](socket_t fd) {
      const int yes = 1;
      ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    });
    // httplib sets these as SO_RCVTIMEO/SO_SNDTIMEO on accepted sockets; ConnectionStream
    // enforces the exact deadlines with poll().
    set_read_timeout(std::chrono::ceil<std::chrono::seconds>(options_.read_timeout));
    set_write_timeout(std::chrono::ceil<std::chrono::seconds>(options_.write_timeout));
    // These only shape the Keep-Alive response header; serve_connection() enforces them.
    set_keep_alive_max_count(std::max<std::size_t>(1, options_.keep_alive_max_requests));
    set_keep_alive_timeout(std::max<time_t>(
        1, std::chrono::ceil<std::chrono::seconds>(options_.keep_alive_timeout).count()));
    set_pre_routing_handler([&routes](const httplib::Request& req, httplib::Response& res) {
      const std::string authorization = req.get_header_value("Authorization");
      const std::string accept_encoding = req.get_header_value("Accept-Encoding");
      RouteResponse answer = routes.answer({req.method, req.path, authorization, accept_encoding});
      if (answer.close_connection && current_connection != nullptr) {
        current_connection->close_after_response();
      }
      fill_response(std::move(answer), res);
      return HandlerResponse::Handled;
    });
  }

  // Only a lock-free atomic exchange, shutdown() and close(): async-signal-safe.
  void close_listener() {
    const socket_t listener = svr_sock_.exchange(INVALID_SOCKET);
    if (listener != INVALID_SOCKET) {
      ::shutdown(listener, SHUT_RDWR);
      ::close(listener);
    }
  }

 private:
  bool process_and_close_socket(socket_t fd) override {
    return serve_connection(fd, wake_fd_, options_, stopping_,
                            [this](ConnectionStream& stream, bool last, bool& client_closes) {
                              StreamAdapter adapted(stream);
                              current_connection = &stream;
                              const bool ok =
                                  process_request(adapted, last, client_closes, ignore_ranges);
                              current_connection = nullptr;
                              return ok;
                            });
  }

  const WebOptions& options_;
  const int wake_fd_;
  const std::atomic<bool>& stopping_;
};

HttplibServer::HttplibServer(const WebOptions& options, Routes& routes, int wake_fd,
                             const std::atomic<bool>& stopping)
    : server_(std::make_unique<Server>(options, routes, wake_fd, stopping)) {}

HttplibServer::~HttplibServer() { close_listener(); }

int HttplibServer::bind(const std::string& host, int port) {
  if (port == 0) return server_->bind_to_any_port(host);
  return server_->bind_to_port(host, port) ? port : -1;
}

void HttplibServer::listen() { server_->listen_after_bind(); }

void HttplibServer::close_listener() { server_->close_listener(); }

}  // namespace swr::web
