#include "web/web_server.h"

#include <fcntl.h>
#include <httplib.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <climits>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "log/logger.h"
#include "web/basic_auth.h"
#include "web/live_web_config.h"
#include "web/tls_context.h"

namespace swr::web {
namespace {

using Clock = std::chrono::steady_clock;

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

// httplib compresses a response itself whenever its body is set with set_content(), its type is
// text/* and Accept-Encoding merely contains "br" or "gzip" (even "gzip;q=0"). Bodies sent through
// a content provider of known length are written as they are, so every response goes that way.
void send(httplib::Response& res, int status, const char* content_type,
          std::shared_ptr<const std::string> body) {
  res.status = status;
  if (!body || body->empty()) {
    res.set_header("Content-Type", content_type);
    res.set_header("Content-Length", "0");
    return;
  }
  const std::size_t size = body->size();
  res.set_content_provider(
      size, content_type,
      [body = std::move(body)](std::size_t offset, std::size_t length, httplib::DataSink& sink) {
        return sink.write(body->data() + offset, length);
      });
}

void send(httplib::Response& res, int status, const char* content_type, std::string body) {
  send(res, status, content_type, std::make_shared<const std::string>(std::move(body)));
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

std::string errno_message(int error) { return std::strerror(error); }

// Replays what httplib does when binding, to recover the reason it does not report.
std::string bind_failure_reason(const std::string& host, int port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* result = nullptr;
  const std::string service = std::to_string(port);
  if (const int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &result); rc != 0) {
    return ::gai_strerror(rc);
  }
  std::string reason = "no usable address";
  for (const addrinfo* ai = result; ai != nullptr; ai = ai->ai_next) {
    const int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
      reason = errno_message(errno);
      continue;
    }
    const int yes = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    const bool ok = ::bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && ::listen(fd, 1) == 0;
    reason = ok ? "bind failed, then succeeded on retry" : errno_message(errno);
    ::close(fd);
    if (ok) break;
  }
  ::freeaddrinfo(result);
  return reason;
}

// httplib's default pool queues without limit; this one makes the accept loop wait instead, so
// excess clients stay in the kernel's backlog rather than piling up open sockets here.
class BoundedThreadPool final : public httplib::TaskQueue {
 public:
  explicit BoundedThreadPool(std::size_t threads) : capacity_(threads) {
    for (std::size_t i = 0; i < threads; ++i) workers_.emplace_back([this] { work(); });
  }

  void enqueue(std::function<void()> job) override {
    std::unique_lock lock(mutex_);
    space_.wait(lock, [&] { return jobs_.size() < capacity_; });
    jobs_.push_back(std::move(job));
    ready_.notify_one();
  }

  void shutdown() override {
    {
      const std::lock_guard lock(mutex_);
      shutdown_ = true;
    }
    ready_.notify_all();
    for (auto& worker : workers_) worker.join();
  }

 private:
  void work() {
    for (;;) {
      std::function<void()> job;
      {
        std::unique_lock lock(mutex_);
        ready_.wait(lock, [&] { return shutdown_ || !jobs_.empty(); });
        if (jobs_.empty()) return;  // shut down and drained
        job = std::move(jobs_.front());
        jobs_.pop_front();
      }
      space_.notify_one();
      job();
    }
  }

  const std::size_t capacity_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::condition_variable space_;
  std::deque<std::function<void()>> jobs_;
  bool shutdown_ = false;
  std::vector<std::thread> workers_;
};

// One accepted connection, as the Stream httplib's request parser reads from and writes to. It
// replaces httplib's own socket stream to get what that one lacks: whole-request deadlines, a cap
// on the header bytes, and waits that end the moment the server stops. With TLS, the same
// deadlines bound the handshake and every read and write.
class Connection final : public httplib::Stream {
 public:
  Connection(int fd, int wake_fd, const WebOptions& options)
      : fd_(fd), wake_fd_(wake_fd), options_(options) {}

  // Switches the connection to TLS: a handshake bounded by the read timeout and the stop signal.
  // Nothing back when it worked; why not otherwise.
  std::optional<std::string> start_tls(std::shared_ptr<const TlsContext> context) {
    const int flags = ::fcntl(fd_, F_GETFL);
    if (flags < 0 || ::fcntl(fd_, F_SETFL, flags | O_NONBLOCK) != 0) return errno_message(errno);
    tls_ = std::make_unique<TlsSession>(std::move(context), fd_);
    const auto deadline = Clock::now() + options_.read_timeout;
    return tls_->handshake([&](short events) { return wait(events, deadline); });
  }

  // After a failed handshake, when the client spoke plain HTTP: a 400 in plain text saying so,
  // as Go's server answers, so that a curl of http:// tells what went wrong.
  void answer_plain_http() {
    if (!tls_ || !tls_->plain_http_request()) return;
    constexpr std::string_view kAnswer =
        "HTTP/1.0 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\n"
        "Connection: close\r\n\r\nClient sent an HTTP request to an HTTPS server.\n";
    if (::send(fd_, kAnswer.data(), kAnswer.size(), MSG_NOSIGNAL | MSG_DONTWAIT) <= 0) return;
    // Closing with the rest of the request unread would reset the connection, and the client
    // could lose the answer: take what has arrived.
    char sink[4096];
    for (int i = 0; i < 16 && ::recv(fd_, sink, sizeof sink, MSG_DONTWAIT) > 0; ++i) {
    }
  }

  // Sends TLS close_notify when the socket takes it; the caller closes the socket.
  void finish() {
    if (tls_) tls_->close();
  }

  // Waits for the first byte of the next request; false on timeout, stop or error.
  bool wait_for_request(std::chrono::milliseconds idle) {
    if (buffered() > 0 || (tls_ && tls_->has_buffered())) return true;
    return wait(POLLIN, Clock::now() + idle);
  }

  void start_request() {
    read_deadline_ = Clock::now() + options_.read_timeout;
    write_deadline_.reset();
    header_bytes_ = 0;
    headers_done_ = false;
    tail_ = 0;
    close_after_response_ = false;
  }

  bool usable() const { return !header_overflow_ && !close_after_response_; }
  void close_after_response() { close_after_response_ = true; }

  bool is_readable() const override {
    return buffered() > 0 || (tls_ && tls_->has_buffered()) || wait(POLLIN, read_deadline_);
  }

  bool is_writable() const override { return wait(POLLOUT, write_deadline()); }

  ssize_t read(char* ptr, size_t size) override {
    if (!headers_done_) {
      if (header_bytes_ >= options_.max_header_bytes) {
        header_overflow_ = true;
        return -1;
      }
      size = std::min(size, options_.max_header_bytes - header_bytes_);
    }
    if (buffered() == 0) {
      ssize_t n = 0;
      if (tls_) {
        n = tls_->read(buffer_.data(), buffer_.size(),
                       [this](short events) { return wait(events, read_deadline_); });
      } else {
        if (!is_readable()) return -1;
        n = ::recv(fd_, buffer_.data(), buffer_.size(), 0);
      }
      if (n <= 0) return n;
      begin_ = 0;
      end_ = static_cast<std::size_t>(n);
    }
    const std::size_t n = std::min(size, buffered());
    std::memcpy(ptr, buffer_.data() + begin_, n);
    begin_ += n;
    scan_headers(ptr, n);
    return static_cast<ssize_t>(n);
  }

  ssize_t write(const char* ptr, size_t size) override {
    if (tls_) {
      const auto deadline = write_deadline();
      return tls_->write(ptr, size, [&](short events) { return wait(events, deadline); });
    }
    if (!is_writable()) return -1;
    // Non-blocking, so a large write cannot outlast the deadline or a stop; httplib calls again
    // after a short write.
    const ssize_t n = ::send(fd_, ptr, size, MSG_NOSIGNAL | MSG_DONTWAIT);
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? 0 : n;
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    if (::getpeername(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
      numeric_host(addr, len, ip, port);
    }
  }

  void get_local_ip_and_port(std::string& ip, int& port) const override {
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
      numeric_host(addr, len, ip, port);
    }
  }

  socket_t socket() const override { return fd_; }

 private:
  std::size_t buffered() const { return end_ - begin_; }

  Clock::time_point write_deadline() const {
    if (!write_deadline_) write_deadline_ = Clock::now() + options_.write_timeout;
    return *write_deadline_;
  }

  // Polls the socket together with the stop signal, until the deadline.
  bool wait(short events, Clock::time_point deadline) const {
    for (;;) {
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) return false;
      pollfd fds[2] = {{fd_, events, 0}, {wake_fd_, POLLIN, 0}};
      const int n = ::poll(fds, 2, static_cast<int>(std::min<long long>(left.count(), INT_MAX)));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 || fds[1].revents != 0) return false;
      if (fds[0].revents != 0) return true;  // ready, or an error the next call will report
    }
  }

  // Tracks the end of the header block (CRLF CRLF, or LF LF from lenient clients).
  void scan_headers(const char* data, std::size_t n) {
    for (std::size_t i = 0; i < n && !headers_done_; ++i) {
      ++header_bytes_;
      tail_ = (tail_ << 8) | static_cast<unsigned char>(data[i]);
      headers_done_ = (tail_ & 0xFFFFFFFFu) == 0x0D0A0D0Au || (tail_ & 0xFFFFu) == 0x0A0Au;
    }
  }

  static void numeric_host(const sockaddr_storage& addr, socklen_t len, std::string& ip,
                           int& port) {
    char host[NI_MAXHOST];
    char service[NI_MAXSERV];
    if (::getnameinfo(reinterpret_cast<const sockaddr*>(&addr), len, host, sizeof host, service,
                      sizeof service, NI_NUMERICHOST | NI_NUMERICSERV) == 0) {
      ip = host;
      port = std::atoi(service);
    }
  }

  const int fd_;
  const int wake_fd_;
  const WebOptions& options_;
  std::unique_ptr<TlsSession> tls_;
  std::array<char, 4096> buffer_{};
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
  Clock::time_point read_deadline_ = Clock::now();
  mutable std::optional<Clock::time_point> write_deadline_;
  std::size_t header_bytes_ = 0;
  bool headers_done_ = false;
  std::uint32_t tail_ = 0;
  bool header_overflow_ = false;
  bool close_after_response_ = false;
};

// The connection the current worker thread is serving, so a handler can ask for it to be closed.
thread_local Connection* current_connection = nullptr;

}  // namespace

// httplib::Server with the connection loop replaced (process_and_close_socket is a virtual hook,
// as SSLServer uses it) and a stop() that works before listen and wakes every connection.
class WebServer::Impl final : public httplib::Server {
 public:
  Impl(WebOptions options, std::function<Exposition()> exposition, std::function<bool()> ready)
      : options_(std::move(options)),
        exposition_(std::move(exposition)),
        ready_(std::move(ready)),
        wake_fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
    const auto threads = static_cast<std::size_t>(std::max(1, options_.max_connections));
    new_task_queue = [threads] { return new BoundedThreadPool(threads); };
    // httplib's default also sets SO_REUSEPORT, which would let a second exporter share the port
    // silently instead of failing to start.
    set_socket_options([](socket_t fd) {
      const int yes = 1;
      ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    });
    // httplib sets these as SO_RCVTIMEO/SO_SNDTIMEO on accepted sockets; Connection enforces the
    // exact deadlines with poll().
    set_read_timeout(std::chrono::ceil<std::chrono::seconds>(options_.read_timeout));
    set_write_timeout(std::chrono::ceil<std::chrono::seconds>(options_.write_timeout));
    // These only shape the Keep-Alive response header; the loop below enforces them.
    set_keep_alive_max_count(std::max<std::size_t>(1, options_.keep_alive_max_requests));
    set_keep_alive_timeout(std::max<time_t>(
        1, std::chrono::ceil<std::chrono::seconds>(options_.keep_alive_timeout).count()));
    set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
      route(req, res);
      return HandlerResponse::Handled;
    });
  }

  ~Impl() override {
    stop_all();
    if (wake_fd_ >= 0) ::close(wake_fd_);
  }

  std::optional<std::string> bind_listener() {
    const auto fail = [&](const std::string& why) {
      return "cannot listen on " + options_.listen_address + ": " + why;
    };
    if (wake_fd_ < 0) return fail("eventfd: " + errno_message(errno));
    const auto& path = options_.telemetry_path;
    if (path.empty() || path[0] != '/' || path == "/" || path.starts_with("/-/")) {
      return "invalid telemetry path \"" + path + "\": must start with / and not be / or /-/...";
    }
    const auto address = parse_listen_address(options_.listen_address);
    if (!address) return fail("expected HOST:PORT, [IPV6]:PORT or :PORT");
    const auto& [host, port] = *address;
    if (stopping_) return fail("server is stopping");
    // All interfaces: dual-stack when the kernel has IPv6, IPv4 otherwise.
    std::vector<std::string> hosts =
        host.empty() ? std::vector<std::string>{"::", "0.0.0.0"} : std::vector<std::string>{host};
    for (const auto& candidate : hosts) {
      const int bound =
          port == 0 ? bind_to_any_port(candidate) : bind_internal_port(candidate, port);
      if (bound > 0) {
        port_ = bound;
        return std::nullopt;
      }
    }
    return fail(bind_failure_reason(hosts.back(), port));
  }

  int bound_port() const { return port_; }

  void serve() {
    if (port_ == 0) return;
    listen_after_bind();
  }

  // Only lock-free atomics, write(), shutdown() and close(): async-signal-safe.
  void stop_all() {
    stopping_ = true;
    if (wake_fd_ >= 0) {
      const std::uint64_t one = 1;
      [[maybe_unused]] const auto n = ::write(wake_fd_, &one, sizeof one);
    }
    const socket_t listener = svr_sock_.exchange(INVALID_SOCKET);
    if (listener != INVALID_SOCKET) {
      ::shutdown(listener, SHUT_RDWR);
      ::close(listener);
    }
  }

 private:
  int bind_internal_port(const std::string& host, int port) {
    return bind_to_port(host, port) ? port : -1;
  }

  // Every body is small and generated per request, so Range is ignored (RFC 9110 14.2 allows it).
  // httplib would otherwise slice bodies even of responses that set their status explicitly.
  static void ignore_ranges(httplib::Request& req) { req.ranges.clear(); }

  bool process_and_close_socket(socket_t fd) override {
    // httplib writes the status line and headers apart from the body: without TCP_NODELAY, Nagle
    // holds the body back until the client's delayed ACK, 40 ms per small response.
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    Connection connection(fd, wake_fd_, options_);
    if (options_.web_config && options_.web_config->tls()) {
      // A failed handshake (a plain-HTTP client, a refused certificate) ends this connection
      // only.
      if (auto error = connection.start_tls(options_.web_config->current()->tls)) {
        std::string ip;
        int port = 0;
        connection.get_remote_ip_and_port(ip, port);
        swr::log::debug("TLS handshake failed",
                        {{"remote", ip + ":" + std::to_string(port)}, {"err", *error}});
        connection.answer_plain_http();
        ::shutdown(fd, SHUT_RDWR);
        ::close(fd);
        return false;
      }
    }
    current_connection = &connection;
    const std::size_t max_requests = std::max<std::size_t>(1, options_.keep_alive_max_requests);
    bool ok = true;
    for (std::size_t served = 0; served < max_requests && !stopping_; ++served) {
      const auto idle = served == 0 ? options_.read_timeout : options_.keep_alive_timeout;
      if (!connection.wait_for_request(idle)) break;
      connection.start_request();
      const bool last = served + 1 == max_requests;
      bool client_closes = false;
      ok = process_request(connection, last, client_closes, ignore_ranges);
      if (!ok || client_closes || !connection.usable()) break;
    }
    current_connection = nullptr;
    connection.finish();
    ::shutdown(fd, SHUT_RDWR);
    ::close(fd);
    return ok;
  }

  // The web config's headers on every response; basic auth, when it has users, on every path.
  // True when the request may go on.
  bool admit(const httplib::Request& req, httplib::Response& res) {
    if (!options_.web_config) return true;
    const std::shared_ptr<const ActiveWebConfig> active = options_.web_config->current();
    for (const auto& [name, value] : active->config.http.headers) res.set_header(name, value);
    const auto& users = active->config.basic_auth_users;
    if (users.empty() || authenticator_.allows(users, req.get_header_value("Authorization"))) {
      return true;
    }
    if (req.method != "GET" && req.method != "HEAD") {
      // The request body, if any, is left unread, so the connection cannot carry another request.
      if (current_connection != nullptr) current_connection->close_after_response();
      res.set_header("Connection", "close");
    }
    res.set_header("WWW-Authenticate", "Basic");
    send(res, 401, kTextContentType, "Unauthorized\n");
    return false;
  }

  void route(const httplib::Request& req, httplib::Response& res) {
    if (!admit(req, res)) return;
    if (req.path == "/-/reload" && options_.reload &&
        (req.method == "POST" || req.method == "PUT")) {
      if (current_connection != nullptr) current_connection->close_after_response();
      if (auto error = options_.reload()) {
        send(res, 500, kTextContentType, "failed to reload config: " + *error + "\n");
      } else {
        send(res, 200, kTextContentType, "OK\n");
      }
      return;
    }
    if (req.method != "GET" && req.method != "HEAD") {
      // The request body, if any, is left unread, so the connection cannot carry another request.
      if (current_connection != nullptr) current_connection->close_after_response();
      res.set_header("Allow", kAllowedMethods);
      res.set_header("Connection", "close");
      send(res, 405, kTextContentType, "Method Not Allowed\n");
      return;
    }
    if (req.path == options_.telemetry_path) {
      serve_exposition(req, res);
    } else if (req.path == "/") {
      send(res, 200, kHtmlContentType, landing_page(options_));
    } else if (req.path == "/-/healthy") {
      send(res, 200, kTextContentType, "OK");
    } else if (req.path == "/-/ready") {
      if (ready_()) {
        send(res, 200, kTextContentType, "OK");
      } else {
        send(res, 503, kTextContentType, "Not ready: the first poll cycle has not finished");
      }
    } else {
      send(res, 404, kTextContentType, "Not Found\n");
    }
  }

  void serve_exposition(const httplib::Request& req, httplib::Response& res) {
    Exposition exposition = exposition_();
    res.set_header("Vary", "Accept-Encoding");
    const bool gzip = exposition.write_gzip && exposition.gzip_size > 0 &&
                      accepts_gzip(req.get_header_value("Accept-Encoding"));
    if (gzip) res.set_header("Content-Encoding", "gzip");
    res.status = 200;
    const std::size_t size = gzip ? exposition.gzip_size : exposition.text_size;
    if (size == 0) {
      res.set_header("Content-Type", kExpositionContentType);
      res.set_header("Content-Length", "0");
      return;
    }
    // The whole body in the first call; httplib asks again only for what is still missing, which
    // after a complete first call is nothing.
    res.set_content_provider(
        size, kExpositionContentType,
        [write = gzip ? std::move(exposition.write_gzip) : std::move(exposition.write_text)](
            std::size_t offset, std::size_t, httplib::DataSink& sink) {
          if (offset != 0) return false;
          return write(
              [&sink](std::string_view bytes) { return sink.write(bytes.data(), bytes.size()); });
        });
  }

  const WebOptions options_;
  const std::function<Exposition()> exposition_;
  const std::function<bool()> ready_;
  const int wake_fd_;
  BasicAuthenticator authenticator_;
  std::atomic<bool> stopping_{false};
  int port_ = 0;
};

WebServer::WebServer(WebOptions options, std::function<Exposition()> exposition,
                     std::function<bool()> ready)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(exposition), std::move(ready))) {}

WebServer::~WebServer() = default;

std::optional<std::string> WebServer::bind() { return impl_->bind_listener(); }

int WebServer::port() const { return impl_->bound_port(); }

void WebServer::run() { impl_->serve(); }

void WebServer::stop() { impl_->stop_all(); }

std::optional<std::pair<std::string, int>> parse_listen_address(std::string_view address) {
  std::string_view host;
  std::string_view port;
  if (address.starts_with('[')) {
    const auto close = address.find(']');
    if (close == std::string_view::npos || close + 1 >= address.size() ||
        address[close + 1] != ':') {
      return std::nullopt;
    }
    host = address.substr(1, close - 1);
    if (host.empty() || host.find(':') == std::string_view::npos) return std::nullopt;
    port = address.substr(close + 2);
  } else {
    const auto colon = address.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    host = address.substr(0, colon);
    if (host.find_first_of(":[]") != std::string_view::npos) return std::nullopt;
    port = address.substr(colon + 1);
  }
  if (port.empty() || port.size() > 5 ||
      !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  int number = 0;
  std::from_chars(port.data(), port.data() + port.size(), number);
  if (number > 65535) return std::nullopt;
  return std::pair{std::string(host), number};
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
