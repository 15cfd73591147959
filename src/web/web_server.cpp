#include "web/web_server.h"

#include <netdb.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <vector>

#include "web/httplib_adapter.h"
#include "web/routes.h"

namespace swr::web {
namespace {

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

}  // namespace

// The options, the routes and the stop signal; cpp-httplib behind HttplibServer. stop() works
// before listen and wakes every connection.
class WebServer::Impl {
 public:
  Impl(WebOptions options, std::function<Exposition()> exposition, std::function<bool()> ready)
      : options_(std::move(options)),
        wake_fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)),
        routes_(options_, std::move(exposition), std::move(ready)),
        http_(options_, routes_, wake_fd_, stopping_) {}

  ~Impl() {
    stop_all();
    if (wake_fd_ >= 0) ::close(wake_fd_);
  }

  Result<void> bind_listener() {
    const auto fail = [&](const std::string& why) {
      return unexpected("cannot listen on " + options_.listen_address + ": " + why);
    };
    if (wake_fd_ < 0) return fail("eventfd: " + errno_message(errno));
    const auto& path = options_.telemetry_path;
    if (path.empty() || path[0] != '/' || path == "/" || path.starts_with("/-/")) {
      return unexpected("invalid telemetry path \"" + path +
                        "\": must start with / and not be / or /-/...");
    }
    const auto address = parse_listen_address(options_.listen_address);
    if (!address) return fail("expected HOST:PORT, [IPV6]:PORT or :PORT");
    const auto& [host, port] = *address;
    if (stopping_) return fail("server is stopping");
    // All interfaces: dual-stack when the kernel has IPv6, IPv4 otherwise.
    std::vector<std::string> hosts =
        host.empty() ? std::vector<std::string>{"::", "0.0.0.0"} : std::vector<std::string>{host};
    for (const auto& candidate : hosts) {
      const int bound = http_.bind(candidate, port);
      if (bound > 0) {
        port_ = bound;
        return {};
      }
    }
    return fail(bind_failure_reason(hosts.back(), port));
  }

  int bound_port() const { return port_; }

  void serve() {
    if (port_ == 0) return;
    http_.listen();
  }

  // Only lock-free atomics, write(), shutdown() and close(): async-signal-safe.
  void stop_all() {
    stopping_ = true;
    if (wake_fd_ >= 0) {
      const std::uint64_t one = 1;
      [[maybe_unused]] const auto n = ::write(wake_fd_, &one, sizeof one);
    }
    http_.close_listener();
  }

 private:
  const WebOptions options_;
  const int wake_fd_;
  std::atomic<bool> stopping_{false};
  Routes routes_;
  HttplibServer http_;
  int port_ = 0;
};

WebServer::WebServer(WebOptions options, std::function<Exposition()> exposition,
                     std::function<bool()> ready)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(exposition), std::move(ready))) {}

WebServer::~WebServer() = default;

Result<void> WebServer::bind() { return impl_->bind_listener(); }

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

}  // namespace swr::web
