#include "web/connection_stream.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "log/logger.h"
#include "web/live_web_config.h"
#include "web/tls_context.h"

namespace swr::web {
namespace {

void numeric_host(const sockaddr_storage& addr, socklen_t len, std::string& ip, int& port) {
  char host[NI_MAXHOST];
  char service[NI_MAXSERV];
  if (::getnameinfo(reinterpret_cast<const sockaddr*>(&addr), len, host, sizeof host, service,
                    sizeof service, NI_NUMERICHOST | NI_NUMERICSERV) == 0) {
    ip = host;
    int value = 0;
    const char* end = service + std::strlen(service);
    if (std::from_chars(service, end, value).ptr == end) port = value;
  }
}

}  // namespace

ConnectionStream::ConnectionStream(int fd, int wake_fd, const WebOptions& options)
    : fd_(fd), wake_fd_(wake_fd), options_(options) {}

ConnectionStream::~ConnectionStream() = default;

Result<void> ConnectionStream::start_tls(std::shared_ptr<const TlsContext> context) {
  const int flags = ::fcntl(fd_, F_GETFL);
  if (flags < 0 || ::fcntl(fd_, F_SETFL, flags | O_NONBLOCK) != 0) {
    return unexpected(std::string(std::strerror(errno)));
  }
  tls_ = std::make_unique<TlsSession>(std::move(context), fd_);
  const auto deadline = Clock::now() + options_.read_timeout;
  return tls_->handshake([&](short events) { return wait(events, deadline); });
}

void ConnectionStream::answer_plain_http() {
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

void ConnectionStream::finish() {
  if (tls_) tls_->close();
}

bool ConnectionStream::wait_for_request(std::chrono::milliseconds idle) {
  if (buffered() > 0 || (tls_ && tls_->has_buffered())) return true;
  return wait(POLLIN, Clock::now() + idle);
}

void ConnectionStream::start_request() {
  read_deadline_ = Clock::now() + options_.read_timeout;
  write_deadline_.reset();
  header_bytes_ = 0;
  headers_done_ = false;
  tail_ = 0;
  close_after_response_ = false;
}

bool ConnectionStream::is_readable() const {
  return buffered() > 0 || (tls_ && tls_->has_buffered()) || wait(POLLIN, read_deadline_);
}

bool ConnectionStream::is_writable() const { return wait(POLLOUT, write_deadline()); }

ssize_t ConnectionStream::read(char* data, std::size_t size) {
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
  std::memcpy(data, buffer_.data() + begin_, n);
  begin_ += n;
  scan_headers(data, n);
  return static_cast<ssize_t>(n);
}

ssize_t ConnectionStream::write(const char* data, std::size_t size) {
  if (tls_) {
    const auto deadline = write_deadline();
    return tls_->write(data, size, [&](short events) { return wait(events, deadline); });
  }
  if (!is_writable()) return -1;
  // Non-blocking, so a large write cannot outlast the deadline or a stop; httplib calls again
  // after a short write.
  const ssize_t n = ::send(fd_, data, size, MSG_NOSIGNAL | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? 0 : n;
}

void ConnectionStream::remote_ip_and_port(std::string& ip, int& port) const {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  if (::getpeername(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    numeric_host(addr, len, ip, port);
  }
}

void ConnectionStream::local_ip_and_port(std::string& ip, int& port) const {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    numeric_host(addr, len, ip, port);
  }
}

ConnectionStream::Clock::time_point ConnectionStream::write_deadline() const {
  if (!write_deadline_) write_deadline_ = Clock::now() + options_.write_timeout;
  return *write_deadline_;
}

bool ConnectionStream::wait(short events, Clock::time_point deadline) const {
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

void ConnectionStream::scan_headers(const char* data, std::size_t n) {
  for (std::size_t i = 0; i < n && !headers_done_; ++i) {
    ++header_bytes_;
    tail_ = (tail_ << 8) | static_cast<unsigned char>(data[i]);
    headers_done_ = (tail_ & 0xFFFFFFFFu) == 0x0D0A0D0Au || (tail_ & 0xFFFFu) == 0x0A0Au;
  }
}

bool serve_connection(int fd, int wake_fd, const WebOptions& options,
                      const std::atomic<bool>& stopping, const RequestProcessor& process) {
  // httplib writes the status line and headers apart from the body: without TCP_NODELAY, Nagle
  // holds the body back until the client's delayed ACK, 40 ms per small response.
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  ConnectionStream connection(fd, wake_fd, options);
  if (options.web_config && options.web_config->tls()) {
    // A failed handshake (a plain-HTTP client, a refused certificate) ends this connection only.
    if (const Result<void> started = connection.start_tls(options.web_config->current()->tls);
        !started) {
      std::string ip;
      int port = 0;
      connection.remote_ip_and_port(ip, port);
      swr::log::debug("TLS handshake failed",
                      {{"remote", ip + ":" + std::to_string(port)}, {"err", started.error()}});
      connection.answer_plain_http();
      ::shutdown(fd, SHUT_RDWR);
      ::close(fd);
      return false;
    }
  }
  const std::size_t max_requests = std::max<std::size_t>(1, options.keep_alive_max_requests);
  bool ok = true;
  for (std::size_t served = 0; served < max_requests && !stopping; ++served) {
    const auto idle = served == 0 ? options.read_timeout : options.keep_alive_timeout;
    if (!connection.wait_for_request(idle)) break;
    connection.start_request();
    const bool last = served + 1 == max_requests;
    bool client_closes = false;
    ok = process(connection, last, client_closes);
    if (!ok || client_closes || !connection.usable()) break;
  }
  connection.finish();
  ::shutdown(fd, SHUT_RDWR);
  ::close(fd);
  return ok;
}

}  // namespace swr::web
