// The web server's ConnectionStream and serve_connection() alone, over a socketpair: the header
// cap, the whole-request deadline, the stop signal and the keep-alive loop.
#include <doctest/doctest.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "web/connection_stream.h"
#include "web/web_server.h"

namespace {

using swr::web::ConnectionStream;
using swr::web::WebOptions;
using namespace std::chrono_literals;

// A connected pair of sockets and a wake eventfd: `server` is the stream's side, `client` the
// test's.
struct Wire {
  int server = -1;
  int client = -1;
  int wake = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

  Wire() {
    int fds[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0);
    server = fds[0];
    client = fds[1];
    REQUIRE(wake >= 0);
  }
  ~Wire() {
    if (server >= 0) ::close(server);
    if (client >= 0) ::close(client);
    ::close(wake);
  }
  void send(std::string_view bytes) const {
    REQUIRE(::send(client, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
            static_cast<ssize_t>(bytes.size()));
  }
  void stop() const {
    const std::uint64_t one = 1;
    REQUIRE(::write(wake, &one, sizeof one) == sizeof one);
  }
};

struct Read {
  std::string bytes;
  ssize_t last = 0;  // the result that ended the reading
};

// Reads until the stream reports the end, an error or its deadline.
Read read_all(ConnectionStream& stream, std::size_t chunk = 7) {
  Read out;
  std::vector<char> buffer(chunk);
  for (;;) {
    const ssize_t n = stream.read(buffer.data(), buffer.size());
    if (n <= 0) {
      out.last = n;
      return out;
    }
    out.bytes.append(buffer.data(), static_cast<std::size_t>(n));
  }
}

WebOptions short_timeouts() {
  WebOptions options;
  options.read_timeout = 100ms;
  options.write_timeout = 100ms;
  options.keep_alive_timeout = 100ms;
  return options;
}

}  // namespace

TEST_CASE("ConnectionStream reads a request whole, headers and body") {
  Wire wire;
  const WebOptions options = short_timeouts();
  ConnectionStream stream(wire.server, wire.wake, options);
  const std::string request = "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nbody";
  wire.send(request);
  REQUIRE(stream.wait_for_request(1s));
  stream.start_request();
  const Read got = read_all(stream);
  CHECK(got.bytes == request);
  CHECK(got.last == -1);  // the deadline, as the client sent nothing more
  CHECK(stream.usable());
}

TEST_CASE("ConnectionStream caps the header bytes, not the body") {
  Wire wire;
  WebOptions options = short_timeouts();
  options.max_header_bytes = 32;

  SUBCASE("headers over the cap: the first 32 bytes, then an error, and the connection unusable") {
    ConnectionStream stream(wire.server, wire.wake, options);
    wire.send("GET / HTTP/1.1\r\nX-Long: " + std::string(100, 'a') + "\r\n\r\n");
    stream.start_request();
    const Read got = read_all(stream);
    CHECK(got.bytes.size() == 32);
    CHECK(got.last == -1);
    CHECK_FALSE(stream.usable());
  }
  SUBCASE("a body after headers within the cap is not counted, with CRLF or bare LF") {
    for (const std::string head :
         {"GET / HTTP/1.1\r\nHost: a\r\n\r\n", "GET / HTTP/1.1\nHost: a\n\n"}) {
      CAPTURE(head);
      Wire each;
      ConnectionStream stream(each.server, each.wake, options);
      const std::string body(1000, 'b');
      each.send(head + body);
      stream.start_request();
      const Read got = read_all(stream);
      CHECK(got.bytes == head + body);
      CHECK(stream.usable());
    }
  }
  SUBCASE("each request gets the whole cap again") {
    ConnectionStream stream(wire.server, wire.wake, options);
    const std::string request = "GET /a HTTP/1.1\r\nHost: abcde\r\n\r\n";
    REQUIRE(request.size() == 32);
    for (int i = 0; i < 3; ++i) {
      wire.send(request);
      stream.start_request();
      std::string bytes(request.size(), '\0');
      std::size_t got = 0;
      while (got < bytes.size()) {
        const ssize_t n = stream.read(bytes.data() + got, bytes.size() - got);
        REQUIRE(n > 0);
        got += static_cast<std::size_t>(n);
      }
      CHECK(bytes == request);
      CHECK(stream.usable());
    }
  }
}

TEST_CASE("ConnectionStream: the read deadline is the whole request's, from start_request()") {
  Wire wire;
  const WebOptions options = short_timeouts();  // 100 ms
  ConnectionStream stream(wire.server, wire.wake, options);
  wire.send("GET / HT");
  stream.start_request();
  char buffer[64];
  REQUIRE(stream.read(buffer, sizeof buffer) == 8);
  // The rest comes after the deadline: a per-read timeout would take it, the deadline does not.
  std::this_thread::sleep_for(150ms);
  wire.send("TP/1.1\r\n\r\n");
  CHECK_FALSE(stream.is_readable());
  CHECK(stream.read(buffer, sizeof buffer) == -1);
  // The next request starts a new deadline and finds the bytes.
  stream.start_request();
  CHECK(stream.read(buffer, sizeof buffer) == 10);
}

TEST_CASE("ConnectionStream: stop ends every wait at once") {
  Wire wire;
  WebOptions options;
  options.read_timeout = 10min;
  options.write_timeout = 10min;
  ConnectionStream stream(wire.server, wire.wake, options);
  wire.stop();
  CHECK_FALSE(stream.wait_for_request(10min));
  stream.start_request();
  char buffer[16];
  CHECK(stream.read(buffer, sizeof buffer) == -1);
  CHECK_FALSE(stream.is_readable());
  CHECK_FALSE(stream.is_writable());
  CHECK(stream.write("x", 1) == -1);
}

TEST_CASE("ConnectionStream: bytes already buffered count as a request waiting") {
  Wire wire;
  const WebOptions options = short_timeouts();
  ConnectionStream stream(wire.server, wire.wake, options);
  CHECK_FALSE(stream.wait_for_request(10ms));  // nothing sent
  wire.send("ab");
  stream.start_request();
  char c = 0;
  REQUIRE(stream.read(&c, 1) == 1);
  // No time to wait: only the byte the stream holds can make this true.
  CHECK(stream.wait_for_request(0ms));
  REQUIRE(stream.read(&c, 1) == 1);
  CHECK(c == 'b');
}

TEST_CASE("ConnectionStream: a write to a client that reads nothing ends at the write deadline") {
  Wire wire;
  const WebOptions options = short_timeouts();  // 100 ms
  ConnectionStream stream(wire.server, wire.wake, options);
  stream.start_request();
  const std::string chunk(64 * 1024, 'x');
  std::size_t written = 0;
  ssize_t n = 0;
  // Short and empty writes while the socket buffer fills; -1 once the deadline passed. The bound
  // keeps a broken deadline from looping forever.
  for (int i = 0; i < 1'000'000 && (n = stream.write(chunk.data(), chunk.size())) >= 0; ++i) {
    written += static_cast<std::size_t>(n);
  }
  CHECK(n == -1);
  CHECK(written > 0);
}

TEST_CASE("ConnectionStream: close_after_response lasts until the next request") {
  Wire wire;
  const WebOptions options = short_timeouts();
  ConnectionStream stream(wire.server, wire.wake, options);
  stream.start_request();
  stream.close_after_response();
  CHECK_FALSE(stream.usable());
  stream.start_request();
  CHECK(stream.usable());
}

namespace {

// What serve_connection() asked of the processor.
struct Calls {
  std::vector<bool> last;
};

// A processor that takes one two-byte "request" per call.
swr::web::RequestProcessor two_bytes(Calls& calls, bool client_closes = false,
                                     bool close_after = false) {
  return [&calls, client_closes, close_after](ConnectionStream& stream, bool last, bool& closes) {
    calls.last.push_back(last);
    char buffer[2];
    if (stream.read(buffer, 1) != 1 || stream.read(buffer + 1, 1) != 1) return false;
    closes = client_closes;
    if (close_after) stream.close_after_response();
    return true;
  };
}

// Whether the peer of `client` closed: a read sees the end, or a reset when the server closed
// with bytes unread (as AF_UNIX reports it). A server that kept it open times the read out.
bool closed_by_server(int client) {
  timeval timeout{5, 0};
  ::setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  char c;
  const ssize_t n = ::recv(client, &c, 1, 0);
  return n == 0 || (n < 0 && errno == ECONNRESET);
}

}  // namespace

TEST_CASE("serve_connection: keep_alive_max_requests, the last one flagged, then close") {
  Wire wire;
  WebOptions options = short_timeouts();
  options.keep_alive_max_requests = 3;
  wire.send("a\nb\nc\nd\n");
  Calls calls;
  const std::atomic<bool> stopping{false};
  CHECK(swr::web::serve_connection(std::exchange(wire.server, -1), wire.wake, options, stopping,
                                   two_bytes(calls)));
  CHECK(calls.last == std::vector<bool>{false, false, true});
  CHECK(closed_by_server(wire.client));
}

TEST_CASE("serve_connection: an idle keep-alive connection closes after keep_alive_timeout") {
  Wire wire;
  WebOptions options = short_timeouts();
  options.keep_alive_timeout = 50ms;
  wire.send("a\n");
  Calls calls;
  const std::atomic<bool> stopping{false};
  CHECK(swr::web::serve_connection(std::exchange(wire.server, -1), wire.wake, options, stopping,
                                   two_bytes(calls)));
  CHECK(calls.last == std::vector<bool>{false});
  CHECK(closed_by_server(wire.client));
}

TEST_CASE("serve_connection: one request when the client or the handler closes") {
  Wire wire;
  const WebOptions options = short_timeouts();
  wire.send("a\nb\n");
  Calls calls;
  const std::atomic<bool> stopping{false};
  bool client_closes = false;
  bool close_after = false;
  SUBCASE("the client asks") { client_closes = true; }
  SUBCASE("a handler asks") { close_after = true; }
  CHECK(swr::web::serve_connection(std::exchange(wire.server, -1), wire.wake, options, stopping,
                                   two_bytes(calls, client_closes, close_after)));
  CHECK(calls.last == std::vector<bool>{false});
  CHECK(closed_by_server(wire.client));
}

TEST_CASE("serve_connection: a failed request ends the connection and is reported") {
  Wire wire;
  const WebOptions options = short_timeouts();
  wire.send("a");  // half a request, then the deadline
  Calls calls;
  const std::atomic<bool> stopping{false};
  CHECK_FALSE(swr::web::serve_connection(std::exchange(wire.server, -1), wire.wake, options,
                                         stopping, two_bytes(calls)));
  CHECK(calls.last.size() == 1);
  CHECK(closed_by_server(wire.client));
}

TEST_CASE("serve_connection: a stopping server serves nothing and closes") {
  Wire wire;
  const WebOptions options = short_timeouts();
  wire.send("a\n");
  Calls calls;
  const std::atomic<bool> stopping{true};
  CHECK(swr::web::serve_connection(std::exchange(wire.server, -1), wire.wake, options, stopping,
                                   two_bytes(calls)));
  CHECK(calls.last.empty());
  CHECK(closed_by_server(wire.client));
}
