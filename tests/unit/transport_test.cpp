// The libcurl transport against raw socket servers: 9 KB IAM tokens both ways, the body cap,
// a server that never answers, request sets (many requests driven from one thread), stops,
// proxies, compressed bodies and which requests go again on a dead kept connection.
#include "huaweicloud/transport.h"

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <stop_token>
#include <thread>
#include <vector>

#include "huaweicloud/authorizer.h"
#include "huaweicloud/swr_client.h"
#include "self_signed.h"

using namespace swr;
using namespace swr::huaweicloud;

namespace {

bool send_all(int fd, const std::string& bytes) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

// Reads from `fd` until the end of a request head (or the connection ends): what arrived.
std::string read_head(int fd) {
  std::string head;
  char buf[65536];
  while (head.find("\r\n\r\n") == std::string::npos) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    head.append(buf, static_cast<std::size_t>(n));
  }
  return head;
}

// A socket listening on 127.0.0.1 at a port the kernel chose, which goes to `port`.
int listen_on_loopback(int backlog, int& port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  port = ntohs(addr.sin_port);
  REQUIRE(::listen(fd, backlog) == 0);
  return fd;
}

// What send() and a request set both answer when a server stays silent past a 300 ms timeout.
void check_timed_out(const HttpResponse& response, std::chrono::steady_clock::duration took,
                     const std::string& url) {
  CHECK(response.status == 0);
  CHECK_FALSE(response.body_too_large);
  CHECK(response.transport_error == "no complete response within 300 ms (" + url + ")");
  CHECK(took < std::chrono::seconds(5));
}

// Accepts connections one at a time; hands each request's head to `respond`, which returns the
// raw bytes to answer with (or nothing to keep the connection silent).
class RawServer {
 public:
  using Respond = std::function<std::optional<std::string>(const std::string& request_head)>;
  explicit RawServer(Respond respond) : respond_(std::move(respond)) {
    fd_ = listen_on_loopback(8, port_);
    thread_ = std::thread([this] { serve(); });
  }
  ~RawServer() {
    stopping_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::vector<std::string> requests() {
    std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  void serve() {
    while (!stopping_) {
      const int client = ::accept(fd_, nullptr, nullptr);
      if (client < 0) return;
      const std::string head = read_head(client);
      {
        std::lock_guard lock(mutex_);
        requests_.push_back(head);
      }
      if (auto answer = respond_(head)) {
        send_all(client, *answer);
      } else {
        char buf[4096];
        while (!stopping_ && ::recv(client, buf, sizeof buf, 0) > 0) {
        }
      }
      ::close(client);
    }
  }

  Respond respond_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
  std::mutex mutex_;
  std::vector<std::string> requests_;
};

// A RawServer answer: the same bytes to every request.
RawServer::Respond always(std::string answer) {
  return [answer = std::move(answer)](const std::string&) -> std::optional<std::string> {
    return answer;
  };
}

// Serves each connection on a thread of its own and keeps it open for the next request, as a
// keep-alive HTTP/1.1 server does. Hands each request (head and Content-Length body) to
// `respond`, which returns the raw answer or nothing to stay silent until the client goes.
class KeepAliveServer {
 public:
  using Respond = std::function<std::optional<std::string>(const std::string& request)>;
  explicit KeepAliveServer(Respond respond) : respond_(std::move(respond)) {
    fd_ = listen_on_loopback(64, port_);
    acceptor_ = std::thread([this] { accept_all(); });
  }
  ~KeepAliveServer() {
    ::shutdown(fd_, SHUT_RDWR);  // wakes accept()
    acceptor_.join();
    ::close(fd_);
    for (const int client : clients_) ::shutdown(client, SHUT_RDWR);  // wakes recv()
    for (auto& thread : threads_) thread.join();
    for (const int client : clients_) ::close(client);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int connections() const { return connections_; }  // accepted so far
  int open_connections() const { return open_; }    // not yet closed by the client
  int requests() const { return requests_; }

 private:
  void accept_all() {
    for (;;) {
      const int client = ::accept(fd_, nullptr, nullptr);
      if (client < 0) return;
      ++connections_;
      ++open_;
      clients_.push_back(client);  // read by the destructor only after this thread ends
      threads_.emplace_back([this, client] {
        serve(client);
        --open_;
      });
    }
  }

  void serve(int client) {
    std::string pending;
    char buf[65536];
    const auto receive = [&] {
      const ssize_t n = ::recv(client, buf, sizeof buf, 0);
      if (n <= 0) return false;
      pending.append(buf, static_cast<std::size_t>(n));
      return true;
    };
    for (;;) {
      std::size_t end = 0;
      while ((end = pending.find("\r\n\r\n")) == std::string::npos) {
        if (!receive()) return;
      }
      std::size_t length = 0;
      const std::size_t at = pending.substr(0, end).find("\r\nContent-Length: ");
      if (at != std::string::npos) length = std::stoul(pending.substr(at + 18));
      while (pending.size() < end + 4 + length) {
        if (!receive()) return;
      }
      const std::string request = pending.substr(0, end + 4 + length);
      pending.erase(0, request.size());
      ++requests_;
      const std::optional<std::string> answer = respond_(request);
      if (!answer) {
        while (receive()) {
        }
        return;
      }
      if (!send_all(client, *answer)) return;
    }
  }

  Respond respond_;
  int fd_ = -1;
  int port_ = 0;
  std::thread acceptor_;
  std::vector<int> clients_;
  std::vector<std::thread> threads_;
  std::atomic<int> connections_{0};
  std::atomic<int> open_{0};
  std::atomic<int> requests_{0};
};

// Answers with the method, the target and the body of the request, keeping the connection open.
std::optional<std::string> echo(const std::string& request) {
  const std::size_t method_end = request.find(' ');
  const std::size_t target_end = request.find(' ', method_end + 1);
  const std::string body =
      request.substr(0, target_end) + request.substr(request.find("\r\n\r\n") + 4);
  return "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

std::optional<std::string> silent(const std::string&) { return std::nullopt; }

// Waits on `set` until nothing is in flight or 10 s passed; each answer under its tag.
std::map<std::uint64_t, HttpResponse> wait_all(RequestSet& set) {
  std::map<std::uint64_t, HttpResponse> answers;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (set.in_flight() > 0 && std::chrono::steady_clock::now() < deadline) {
    for (auto& answer : set.wait(std::chrono::seconds(1), {})) {
      const std::uint64_t tag = answer.first;  // a local binding, which doctest cannot capture
      CHECK_MESSAGE(answers.emplace(tag, std::move(answer.second)).second, "tag twice: ", tag);
    }
  }
  return answers;
}

std::string header_value(const std::string& head, const std::string& name) {
  const std::size_t at = head.find("\r\n" + name + ": ");
  if (at == std::string::npos) return {};
  const std::size_t start = at + 4 + name.size();
  return head.substr(start, head.find("\r\n", start) - start);
}

}  // namespace

TEST_CASE("a 9.5 KB IAM token is read whole from X-Subject-Token and sent whole as X-Auth-Token") {
  const std::string token = "MII" + std::string(9500 - 3, 'T');
  RawServer iam([&](const std::string&) -> std::optional<std::string> {
    const std::string body = R"({"token":{"expires_at":"2099-01-01T00:00:00.000000Z"}})";
    return "HTTP/1.1 201 Created\r\nX-Subject-Token: " + token +
           "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
           "\r\nConnection: close\r\n\r\n" + body;
  });
  RawServer swr([](const std::string&) -> std::optional<std::string> {
    return std::string(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Range: 0-0/0\r\n"
        "Content-Length: 2\r\nConnection: close\r\n\r\n[]");
  });
  auto transport = make_curl_transport({"", std::chrono::seconds(5), 1 << 20});
  NullApiObserver observer;
  SystemClock clock;
  auto authorizer = make_password_authorizer({iam.url(), "domain", "user", "pa\"ss", "cn-north-4"},
                                             *transport, observer, clock);
  RateLimiter limiter(1000, clock);
  SwrClient client(swr.url(), *transport, *authorizer, observer, clock, limiter);
  client.start_cycle(1);
  const PageResult page = client.list_sync_jobs({"team-a", "team/app"}, 0, 100, {});
  REQUIRE_MESSAGE(page.has_value(), page.error().message);
  CHECK(page->jobs.empty());
  CHECK(page->total == 0);

  const auto iam_requests = iam.requests();
  REQUIRE(iam_requests.size() == 1);
  CHECK(iam_requests[0].rfind("POST /v3/auth/tokens?nocatalog=true HTTP/1.1\r\n", 0) == 0);
  const auto swr_requests = swr.requests();
  REQUIRE(swr_requests.size() == 1);
  CHECK(header_value(swr_requests[0], "X-Auth-Token") == token);
  CHECK(swr_requests[0].rfind(
            "GET /v2/manage/namespaces/team-a/repos/team%24app/sync_job?filter=limit%3A%3A100%7C"
            "offset%3A%3A0%7Corder%3A%3Adesc HTTP/1.1\r\n",
            0) == 0);
  CHECK(header_value(swr_requests[0], "Content-Type") == "application/json");
}

TEST_CASE("a body over the cap is refused, not buffered") {
  RawServer server([](const std::string&) -> std::optional<std::string> {
    const std::string body(2 << 20, 'x');
    return "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) +
           "\r\nConnection: close\r\n\r\n" + body;
  });
  auto transport = make_curl_transport({"", std::chrono::seconds(5), 1 << 20});
  HttpRequest request;
  request.base_url = server.url();
  request.path = "/big";
  const HttpResponse response = transport->send(request);
  CHECK(response.status == 0);
  CHECK(response.body.empty());
  CHECK(response.body_too_large);
  CHECK(response.transport_error ==
        "response body larger than 1048576 bytes: refused (" + server.url() + ")");
}

TEST_CASE("a server that accepts and never answers: the request timeout holds") {
  RawServer server([](const std::string&) -> std::optional<std::string> { return std::nullopt; });
  auto transport = make_curl_transport({"", std::chrono::milliseconds(300), 1 << 20});
  HttpRequest request;
  request.base_url = server.url();
  request.path = "/silent";
  const auto start = std::chrono::steady_clock::now();
  const HttpResponse response = transport->send(request);
  const auto took = std::chrono::steady_clock::now() - start;
  check_timed_out(response, took, server.url());
}

TEST_CASE("request set: every tag is answered once, with its own response") {
  KeepAliveServer server(echo);
  auto transport = make_curl_transport({"", std::chrono::seconds(5), 1 << 20});
  auto set = transport->request_set();
  constexpr std::uint64_t kRequests = 20;
  for (std::uint64_t tag = 0; tag < kRequests; ++tag) {
    HttpRequest request;  // gone before the transfer runs
    request.base_url = server.url();
    request.path = "/r/" + std::to_string(tag);
    if (tag % 2 == 1) {
      request.method = "POST";
      request.body = "body-" + std::to_string(tag);
    }
    set->start(tag, request);
  }
  CHECK(set->in_flight() == kRequests);

  std::map<std::uint64_t, HttpResponse> answers;
  std::size_t last_in_flight = kRequests;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (set->in_flight() > 0 && std::chrono::steady_clock::now() < deadline) {
    for (auto& answer : set->wait(std::chrono::seconds(1), {})) {
      const std::uint64_t tag = answer.first;  // a local binding, which doctest cannot capture
      CHECK_MESSAGE(answers.emplace(tag, std::move(answer.second)).second, "tag twice: ", tag);
    }
    CHECK(set->in_flight() == kRequests - answers.size());
    CHECK(set->in_flight() <= last_in_flight);
    last_in_flight = set->in_flight();
  }
  CHECK(set->in_flight() == 0);
  REQUIRE(answers.size() == kRequests);
  for (const auto& [tag, response] : answers) {
    const std::string expected =
        tag % 2 == 1 ? "POST /r/" + std::to_string(tag) + "body-" + std::to_string(tag)
                     : "GET /r/" + std::to_string(tag);
    CHECK(response.status == 200);
    CHECK(response.transport_error.empty());
    CHECK(response.body == expected);
  }
  CHECK(server.connections() > 1);  // in flight together, not one after another
  CHECK(set->wait(std::chrono::seconds(5), {}).empty());  // nothing in flight: at once
}

TEST_CASE("request set: the next set from the transport reuses the connections of the last") {
  KeepAliveServer server(echo);
  auto transport = make_curl_transport({"", std::chrono::seconds(5), 1 << 20});
  constexpr std::size_t kWindow = 4;  // in flight at once
  constexpr std::uint64_t kRequests = 12;
  for (int round = 0; round < 2; ++round) {
    CAPTURE(round);
    auto set = transport->request_set();
    std::uint64_t started = 0;
    const auto start_next = [&] {
      HttpRequest request;
      request.base_url = server.url();
      request.path = "/" + std::to_string(started);
      set->start(started++, request);
    };
    while (started < kWindow) start_next();
    std::size_t answered = 0;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (answered < kRequests && std::chrono::steady_clock::now() < deadline) {
      for (const auto& [tag, response] : set->wait(std::chrono::seconds(1), {})) {
        ++answered;
        CHECK(response.status == 200);
        CHECK(response.body == "GET /" + std::to_string(tag));
        if (started < kRequests) start_next();
      }
      CHECK(set->in_flight() <= kWindow);
    }
    CHECK(answered == kRequests);
  }
  CHECK(server.requests() == 2 * kRequests);
  CHECK(server.connections() <= static_cast<int>(kWindow));
}

TEST_CASE("request set: a body over the cap is refused as by send()") {
  KeepAliveServer server([](const std::string&) -> std::optional<std::string> {
    const std::string body(2 << 20, 'x');
    return "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  });
  auto transport = make_curl_transport({"", std::chrono::seconds(5), 1 << 20});
  auto set = transport->request_set();
  HttpRequest request;
  request.base_url = server.url();
  request.path = "/big";
  set->start(7, request);
  const auto answers = wait_all(*set);
  REQUIRE(answers.size() == 1);
  const HttpResponse& response = answers.at(7);
  CHECK(response.status == 0);
  CHECK(response.body.empty());
  CHECK(response.body_too_large);
  CHECK(response.transport_error ==
        "response body larger than 1048576 bytes: refused (" + server.url() + ")");
}

TEST_CASE("request set: a server that never answers runs into the request timeout of send()") {
  KeepAliveServer server(silent);
  auto transport = make_curl_transport({"", std::chrono::milliseconds(300), 1 << 20});
  auto set = transport->request_set();
  HttpRequest request;
  request.base_url = server.url();
  request.path = "/silent";
  const auto start = std::chrono::steady_clock::now();
  set->start(1, request);
  const auto answers = wait_all(*set);
  const auto took = std::chrono::steady_clock::now() - start;
  REQUIRE(answers.size() == 1);
  const HttpResponse& response = answers.at(1);
  check_timed_out(response, took, server.url());
}

TEST_CASE("request set: a stop wakes a wait() blocked on a silent server") {
  KeepAliveServer server(silent);
  auto transport = make_curl_transport({"", std::chrono::seconds(30), 1 << 20});
  auto set = transport->request_set();
  HttpRequest request;
  request.base_url = server.url();
  request.path = "/silent";
  set->start(1, request);
  std::stop_source stop;

  SUBCASE("requested while wait() blocks") {
    // The request reaches the server only from inside wait(), so the stop comes during it; late
    // enough that curl's own short timers (connect, happy eyeballs) are past and only the stop,
    // or the 30 s request timeout, can end the wait.
    std::chrono::steady_clock::time_point stopped_at;
    std::jthread stopper([&] {
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
      while (server.requests() == 0 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      stopped_at = std::chrono::steady_clock::now();
      stop.request_stop();
    });
    const auto answers = set->wait(std::chrono::seconds(60), stop.get_token());
    const auto returned_at = std::chrono::steady_clock::now();
    stopper.join();
    CHECK(answers.empty());
    CHECK(returned_at - stopped_at < std::chrono::seconds(1));
    CHECK(server.requests() == 1);
  }
  SUBCASE("requested before wait()") {
    stop.request_stop();
    const auto start = std::chrono::steady_clock::now();
    CHECK(set->wait(std::chrono::seconds(60), stop.get_token()).empty());
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(1));
  }
  CHECK(set->in_flight() == 1);
}

TEST_CASE(
    "request set: destroyed with requests in flight, it abandons them and closes their "
    "connections") {
  KeepAliveServer silent_server(silent);
  KeepAliveServer echo_server(echo);
  auto transport = make_curl_transport({"", std::chrono::seconds(30), 1 << 20});
  auto set = transport->request_set();
  for (std::uint64_t tag = 0; tag < 3; ++tag) {
    HttpRequest request;
    request.base_url = silent_server.url();
    request.path = "/silent";
    set->start(tag, request);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (silent_server.requests() < 3 && std::chrono::steady_clock::now() < deadline) {
    CHECK(set->wait(std::chrono::milliseconds(50), {}).empty());
  }
  REQUIRE(silent_server.requests() == 3);

  const auto start = std::chrono::steady_clock::now();
  set.reset();
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(1));
  while (silent_server.open_connections() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  CHECK(silent_server.open_connections() == 0);

  // The handles went back to the transport in working order.
  auto next = transport->request_set();
  HttpRequest request;
  request.base_url = echo_server.url();
  request.path = "/after";
  next->start(9, request);
  const auto answers = wait_all(*next);
  REQUIRE(answers.size() == 1);
  CHECK(answers.at(9).status == 200);
  CHECK(answers.at(9).body == "GET /after");
}

TEST_CASE("the request on the wire: Host as signed, the headers in order, a body's length") {
  // libcurl writes the request: Host, its Accept-Encoding, then ours in order.
  RawServer server(always("HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n"));
  auto transport = make_curl_transport({"", std::chrono::seconds(5), 1 << 20});
  HttpRequest request;
  request.method = "POST";
  request.base_url = server.url();
  request.path = "/v3/auth/tokens";
  request.query = {{"nocatalog", "true"}};
  request.headers = {{"Content-Type", "application/json"}, {"X-Sdk-Date", "20240101T000000Z"}};
  request.body = R"({"a":1})";
  const HttpResponse response = transport->send(request);
  CHECK(response.status == 204);
  CHECK(response.transport_error.empty());
  const auto requests = server.requests();
  REQUIRE(requests.size() == 1);
  const std::string encodings = header_value(requests[0], "Accept-Encoding");
  CHECK(encodings.find("gzip") != std::string::npos);
  CHECK(requests[0] == "POST /v3/auth/tokens?nocatalog=true HTTP/1.1\r\nHost: " + request.host() +
                           "\r\nAccept-Encoding: " + encodings +
                           "\r\nContent-Type: application/json\r\nX-Sdk-Date: 20240101T000000Z\r\n"
                           "Content-Length: 7\r\n\r\n{\"a\":1}");
}

TEST_CASE("a header value with a line break is refused before anything is sent") {
  RawServer server(always("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"));
  auto transport = make_curl_transport({"", std::chrono::seconds(5), 1 << 20});
  HttpRequest request;
  request.base_url = server.url();
  request.path = "/x";
  request.headers = {{"X-Auth-Token", "abc\r\nX-Injected: 1"}};
  const HttpResponse response = transport->send(request);
  CHECK(response.status == 0);
  CHECK(response.transport_error ==
        "request header X-Auth-Token has a line break or NUL in its "
        "value (" +
            server.url() + ")");
  CHECK(response.transport_error.find("abc") == std::string::npos);  // the value is not echoed
  CHECK(server.requests().empty());
}

TEST_CASE("a response that is not HTTP fails, and says so") {
  RawServer server(always("\x01\x02 garbage\r\n\r\n"));
  auto transport = make_curl_transport({"", std::chrono::seconds(5), 1 << 20});
  HttpRequest request;
  request.base_url = server.url();
  request.path = "/x";
  const HttpResponse response = transport->send(request);
  CHECK(response.status == 0);
  CHECK(response.transport_error ==
        "Unsupported protocol: Received HTTP/0.9 when not allowed (" + server.url() + ")");
}

TEST_CASE("request set: chunked bodies, and the connection carries the next request") {
  KeepAliveServer server([](const std::string& request) -> std::optional<std::string> {
    const std::string target = request.substr(4, request.find(' ', 4) - 4);
    return "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n" +
           std::to_string(target.size()) + "\r\n" + target + "\r\n0\r\nTrailer: t\r\n\r\n";
  });
  auto transport = make_curl_transport({"", std::chrono::seconds(5), 1 << 20});
  for (int i = 0; i < 3; ++i) {
    auto set = transport->request_set();
    HttpRequest request;
    request.base_url = server.url();
    request.path = "/" + std::to_string(i);  // shorter than 10: its length is one hex digit
    set->start(1, request);
    const auto answers = wait_all(*set);
    REQUIRE(answers.size() == 1);
    CHECK(answers.at(1).status == 200);
    CHECK(answers.at(1).body == "abc/" + std::to_string(i));
  }
  CHECK(server.requests() == 3);
  CHECK(server.connections() == 1);
}

TEST_CASE("a server that closes each connection after one answer: Connection: close or not") {
  // The first server says it will close; the second closes without saying so, as a keep-alive
  // server does when its idle timeout runs out. Either way every request is answered, each on a
  // connection of its own.
  for (const bool says_close : {true, false}) {
    CAPTURE(says_close);
    RawServer server([&](const std::string&) -> std::optional<std::string> {
      return std::string("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n") +
             (says_close ? "Connection: close\r\n" : "") + "\r\nok";
    });
    auto transport = make_curl_transport({"", std::chrono::seconds(5), 1 << 20});
    for (int i = 0; i < 3; ++i) {
      HttpRequest request;
      request.base_url = server.url();
      request.path = "/" + std::to_string(i);
      const HttpResponse response = transport->send(request);
      CHECK(response.status == 200);
      CHECK(response.body == "ok");
      CHECK(response.transport_error.empty());
    }
    CHECK(server.requests().size() == 3);  // each sent once: a retry only where nothing arrived
  }
}

TEST_CASE("a server that closes without answering: one retry only on a connection reused") {
  int answered = 0;
  RawServer server([&](const std::string&) -> std::optional<std::string> {
    if (answered++ == 0) return std::string("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    return std::string();  // closes at once
  });
  auto transport = make_curl_transport({"", std::chrono::seconds(5), 1 << 20});
  HttpRequest request;
  request.base_url = server.url();
  request.path = "/x";
  CHECK(transport->send(request).status == 200);
  const HttpResponse response = transport->send(request);
  CHECK(response.status == 0);
  CHECK(response.transport_error == "connection closed before any response (" + server.url() + ")");
  // The server closed the first answer's connection; the second request, sent on it, was lost
  // before reaching the server and went again once, on a new connection, which the server closed
  // unanswered: two requests reached it (one without the retry, more with retries on retries).
  CHECK(server.requests().size() == 2);
}

namespace {

// An HTTP proxy: records the first line of each connection made to it; a CONNECT is answered 200
// and relayed both ways to 127.0.0.1 at the port named (a tunnel), a request in absolute form is
// passed on as it came to the port its URL names (a forward proxy), and the rest of the
// connection relayed.
class Proxy {
 public:
  Proxy() {
    fd_ = listen_on_loopback(8, port_);
    thread_ = std::thread([this] { serve(); });
  }
  ~Proxy() {
    ::shutdown(fd_, SHUT_RDWR);
    thread_.join();
    ::close(fd_);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::vector<std::string> first_lines() {
    std::lock_guard lock(mutex_);
    return lines_;
  }

 private:
  void serve() {
    for (;;) {
      const int client = ::accept(fd_, nullptr, nullptr);
      if (client < 0) return;
      const std::string head = read_head(client);
      const std::string line = head.substr(0, head.find("\r\n"));
      {
        std::lock_guard lock(mutex_);
        lines_.push_back(line);
      }
      const bool tunnel = line.starts_with("CONNECT ");
      // CONNECT 127.0.0.1:PORT HTTP/1.1, or GET http://127.0.0.1:PORT/path HTTP/1.1
      const std::size_t authority = tunnel ? 8 : line.find("://") + 3;
      const std::size_t colon = line.find(':', authority);
      const int target = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      addr.sin_port = htons(static_cast<std::uint16_t>(std::stoi(line.substr(colon + 1))));
      if (::connect(target, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        send_all(client, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n");
      } else if (send_all(client, tunnel ? "HTTP/1.1 200 Connection established\r\n\r\n" : "") &&
                 send_all(target, tunnel ? "" : head)) {
        relay(client, target);
      }
      ::close(target);
      ::close(client);
    }
  }

  static void relay(int a, int b) {
    char buf[65536];
    for (;;) {
      pollfd fds[2] = {{a, POLLIN, 0}, {b, POLLIN, 0}};
      if (::poll(fds, 2, 10'000) <= 0) return;
      for (int i = 0; i < 2; ++i) {
        if (fds[i].revents == 0) continue;
        const ssize_t n = ::recv(fds[i].fd, buf, sizeof buf, 0);
        if (n <= 0 || !send_all(fds[1 - i].fd, std::string(buf, static_cast<std::size_t>(n)))) {
          return;
        }
      }
    }
  }

  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
  std::mutex mutex_;
  std::vector<std::string> lines_;
};

// Answers the first request on each connection ("ok", kept open) and closes the connection on
// its second without answering. Records "METHOD N" for each request, N counting connections.
class FirstOnlyServer {
 public:
  FirstOnlyServer() {
    fd_ = listen_on_loopback(8, port_);
    thread_ = std::thread([this] { serve(); });
  }
  ~FirstOnlyServer() {
    ::shutdown(fd_, SHUT_RDWR);
    thread_.join();
    ::close(fd_);
    for (auto& [fd, unused] : open_) ::close(fd);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::vector<std::string> requests() {
    std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  // One thread: polls the listener and every open connection.
  void serve() {
    int connections = 0;
    for (;;) {
      std::vector<pollfd> fds{{fd_, POLLIN, 0}};
      for (const auto& [fd, unused] : open_) fds.push_back({fd, POLLIN, 0});
      if (::poll(fds.data(), fds.size(), 10'000) <= 0) return;
      if (fds[0].revents != 0) {
        const int client = ::accept(fd_, nullptr, nullptr);
        if (client < 0) return;
        open_[client] = {++connections, 0};
      }
      for (std::size_t i = 1; i < fds.size(); ++i) {
        if (fds[i].revents == 0) continue;
        const int fd = fds[i].fd;
        const std::string head = read_head(fd);
        if (head.empty()) {
          ::close(fd);
          open_.erase(fd);
          continue;
        }
        auto& [number, served] = open_[fd];
        {
          std::lock_guard lock(mutex_);
          requests_.push_back(head.substr(0, head.find(' ')) + " " + std::to_string(number));
        }
        if (served++ == 0) {
          send_all(fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        } else {
          ::close(fd);
          open_.erase(fd);
        }
      }
    }
  }

  int fd_ = -1;
  int port_ = 0;
  std::map<int, std::pair<int, int>> open_;  // fd -> (connection number, requests answered)
  std::thread thread_;
  std::mutex mutex_;
  std::vector<std::string> requests_;
};

std::string ascii_lower_string(std::string text) {
  for (char& c : text) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  return text;
}

// `bytes` gzip-compressed.
std::string gzip(const std::string& bytes) {
  z_stream stream{};
  REQUIRE(deflateInit2(&stream, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) ==
          Z_OK);
  std::string out(deflateBound(&stream, static_cast<uLong>(bytes.size())), '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  stream.avail_in = static_cast<uInt>(bytes.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  REQUIRE(deflate(&stream, Z_FINISH) == Z_STREAM_END);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return out;
}

// A P-256 key and a self-signed CA certificate for 127.0.0.1, as PEM files.
struct SelfSignedFiles {
  std::string dir, cert, key;
  SelfSignedFiles() {
    dir = (std::filesystem::temp_directory_path() / ("swr-tx-" + std::to_string(::getpid())))
              .string();
    std::filesystem::create_directories(dir);
    cert = dir + "/cert.pem";
    key = dir + "/key.pem";
    const swr::test::PemPair pair = swr::test::self_signed(
        "127.0.0.1",
        {{NID_subject_alt_name, "IP:127.0.0.1"}, {NID_basic_constraints, "critical,CA:TRUE"}});
    std::ofstream(cert) << pair.cert;
    std::ofstream(key) << pair.key;
  }
  ~SelfSignedFiles() { std::filesystem::remove_all(dir); }
};

// Sets an environment variable for the life of the object.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    ::setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() { ::unsetenv(name_); }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
};

}  // namespace

TEST_CASE("https_proxy: requests to an https origin go through one CONNECT tunnel") {
  SelfSignedFiles pki;
  httplib::SSLServer server(pki.cert.c_str(), pki.key.c_str());
  REQUIRE(server.is_valid());
  server.Get(R"(/through/(\d+))", [](const httplib::Request& req, httplib::Response& res) {
    res.set_content("GET " + req.path, "text/plain");
  });
  const int port = server.bind_to_any_port("127.0.0.1");
  REQUIRE(port > 0);
  std::thread thread([&] { server.listen_after_bind(); });
  Proxy proxy;
  const ScopedEnv env("https_proxy", proxy.url());
  auto transport = make_curl_transport({pki.cert, std::chrono::seconds(5), 1 << 20});
  for (int i = 0; i < 2; ++i) {
    HttpRequest request;
    request.base_url = "https://127.0.0.1:" + std::to_string(port);
    request.path = "/through/" + std::to_string(i);
    const HttpResponse response = transport->send(request);
    CHECK(response.transport_error.empty());
    CHECK(response.status == 200);
    CHECK(response.body == "GET /through/" + std::to_string(i));
  }
  // One tunnel, kept for the second request.
  CHECK(proxy.first_lines() ==
        std::vector<std::string>{"CONNECT 127.0.0.1:" + std::to_string(port) + " HTTP/1.1"});
  server.stop();
  thread.join();
}

TEST_CASE("http_proxy: requests to an http origin go to a plain forward proxy, in absolute form") {
  KeepAliveServer server(echo);
  Proxy proxy;
  const ScopedEnv env("http_proxy", proxy.url());
  auto transport = make_curl_transport({"", std::chrono::seconds(5), 1 << 20});
  for (int i = 0; i < 2; ++i) {
    HttpRequest request;
    request.base_url = server.url();
    request.path = "/through/" + std::to_string(i);
    const HttpResponse response = transport->send(request);
    CHECK(response.transport_error.empty());
    CHECK(response.status == 200);
    // The echo of the target as the proxy passed it on: the absolute URL.
    CHECK(response.body == "GET " + server.url() + "/through/" + std::to_string(i));
  }
  // One connection to the proxy, kept for the second request.
  CHECK(proxy.first_lines() ==
        std::vector<std::string>{"GET " + server.url() + "/through/0 HTTP/1.1"});
  CHECK(server.connections() == 1);

  SUBCASE("no_proxy names the origin: straight to it") {
    const ScopedEnv no_proxy("no_proxy", "127.0.0.1");
    HttpRequest request;
    request.base_url = server.url();
    request.path = "/direct";
    const HttpResponse response = transport->send(request);
    CHECK(response.status == 200);
    CHECK(response.body == "GET /direct");
    CHECK(proxy.first_lines().size() == 1);
  }
}

TEST_CASE("send() with a stop: a request to a silent server is given up when the stop comes") {
  KeepAliveServer server(silent);
  auto transport = make_curl_transport({"", std::chrono::seconds(30), 1 << 20});
  HttpRequest request;
  request.base_url = server.url();
  request.path = "/silent";
  std::stop_source stop;
  std::chrono::steady_clock::time_point stopped_at;
  std::jthread stopper([&] {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (server.requests() == 0 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    stopped_at = std::chrono::steady_clock::now();
    stop.request_stop();
  });
  const HttpResponse response = transport->send(request, stop.get_token());
  const auto returned_at = std::chrono::steady_clock::now();
  stopper.join();
  CHECK(response.status == 0);
  CHECK(response.transport_error == "stopped before the response (" + server.url() + ")");
  CHECK(returned_at - stopped_at < std::chrono::seconds(1));
  CHECK(server.requests() == 1);
  // Given up, its connection closed: the server sees the client go.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (server.open_connections() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  CHECK(server.open_connections() == 0);
}

TEST_CASE("compressed bodies: asked for, decoded, and the cap holds for the decoded size") {
  // Answers gzip when the request lists it: a JSON body, or (under /big) 2 MiB that compress to
  // a few KiB.
  KeepAliveServer server([](const std::string& request) -> std::optional<std::string> {
    const std::string encodings = header_value(request, "Accept-Encoding");
    if (encodings.find("gzip") == std::string::npos) {
      return std::string("HTTP/1.1 406 Not Acceptable\r\nContent-Length: 0\r\n\r\n");
    }
    const bool big = request.starts_with("GET /big ");
    const std::string body = big ? std::string(2 << 20, 'x') : R"([{"id":1,"status":"success"}])";
    const std::string compressed = gzip(body);
    return "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: " +
           std::to_string(compressed.size()) + "\r\n\r\n" + compressed;
  });
  auto transport = make_curl_transport({"", std::chrono::seconds(5), 1 << 20});
  HttpRequest request;
  request.base_url = server.url();
  request.path = "/jobs";
  const HttpResponse small = transport->send(request);
  CHECK(small.status == 200);
  CHECK(small.body == R"([{"id":1,"status":"success"}])");
  CHECK(small.header("Content-Encoding") == "gzip");

  request.path = "/big";
  const HttpResponse big = transport->send(request);
  CHECK(big.status == 0);
  CHECK(big.body.empty());
  CHECK(big.body_too_large);
  CHECK(big.transport_error ==
        "response body larger than 1048576 bytes: refused (" + server.url() + ")");
}

TEST_CASE("a kept connection found dead: GET goes again on a new one, POST never goes on one") {
  // Answers the first request on each connection and keeps it open; closes a connection on its
  // second request without answering, as a server that timed it out at that moment does.
  FirstOnlyServer server;
  auto transport = make_curl_transport({"", std::chrono::seconds(5), 1 << 20});
  HttpRequest request;
  request.base_url = server.url();
  request.path = "/x";
  CHECK(transport->send(request).status == 200);  // connection 1

  SUBCASE("GET: sent again, once, on a new connection") {
    const HttpResponse response = transport->send(request);
    CHECK(response.status == 200);
    CHECK(response.transport_error.empty());
    CHECK(server.requests() == std::vector<std::string>{"GET 1", "GET 1", "GET 2"});
  }
  SUBCASE("POST: on a connection of its own, sent once") {
    request.method = "POST";
    request.body = "{}";
    const HttpResponse response = transport->send(request);
    CHECK(response.status == 200);
    CHECK(server.requests() == std::vector<std::string>{"GET 1", "POST 2"});
  }
}

TEST_CASE("a kept connection the server wrote to and closed while idle is not reused") {
  // Some servers answer an idle connection with a 408 as they close it; that answer must not be
  // read as the next request's.
  int port = 0;
  const int listener = listen_on_loopback(4, port);
  std::atomic<int> served{0};
  std::thread server([&] {
    const int first = ::accept(listener, nullptr, nullptr);
    read_head(first);
    send_all(first, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfirst");
    ++served;
    std::this_thread::sleep_for(std::chrono::milliseconds(1200));
    send_all(first,
             "HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
    ::close(first);
    ++served;
    // A client that took the 408 for its answer never comes back: give up rather than hang.
    pollfd ready{listener, POLLIN, 0};
    if (::poll(&ready, 1, 5000) != 1) return;
    const int second = ::accept(listener, nullptr, nullptr);
    read_head(second);
    send_all(second, "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecond");
    ::close(second);
  });
  auto transport = make_curl_transport({"", std::chrono::seconds(5), 1 << 20});
  HttpRequest request;
  request.base_url = "http://127.0.0.1:" + std::to_string(port);
  request.path = "/x";
  CHECK(transport->send(request).body == "first");
  while (served < 2) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the 408 and the FIN are in
  const HttpResponse response = transport->send(request);
  CHECK(response.status == 200);
  CHECK(response.body == "second");
  server.join();
  ::close(listener);
}

namespace {

// nghttpd (Debian's nghttp2-server), an HTTP/2-only server over TLS serving `docroot`, on a port
// the kernel chose: nghttpd does not print it, so it is read from /proc.
class Http2Server {
 public:
  Http2Server(const std::string& docroot, const std::string& key, const std::string& cert) {
    pid_ = ::fork();
    if (pid_ == 0) {
      ::execlp("nghttpd", "nghttpd", "-a", "127.0.0.1", "-d", docroot.c_str(), "0", key.c_str(),
               cert.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while ((port_ = listening_port()) == 0 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  ~Http2Server() {
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
  }
  int port() const { return port_; }

 private:
  // The port of the listening TCP socket among the process's file descriptors; 0 if none yet.
  int listening_port() const {
    std::set<std::string> inodes;
    const std::string fds = "/proc/" + std::to_string(pid_) + "/fd";
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(fds, ec)) {
      const std::string target = std::filesystem::read_symlink(entry.path(), ec).string();
      if (target.starts_with("socket:[")) inodes.insert(target.substr(8, target.size() - 9));
    }
    std::ifstream tcp("/proc/net/tcp");
    std::string line;
    std::getline(tcp, line);  // the column names
    while (std::getline(tcp, line)) {
      std::istringstream fields(line);
      std::string slot, local, remote, state, queues, timer, retransmits, uid, timeout, inode;
      fields >> slot >> local >> remote >> state >> queues >> timer >> retransmits >> uid >>
          timeout >> inode;
      if (state == "0A" && inodes.count(inode) > 0) {  // 0A: LISTEN
        return std::stoi(local.substr(local.find(':') + 1), nullptr, 16);
      }
    }
    return 0;
  }

  pid_t pid_ = -1;
  int port_ = 0;
};

}  // namespace

TEST_CASE("HTTP/2 where the server offers it: an h2-only server over TLS answers") {
  SelfSignedFiles pki;
  const std::string docroot = pki.dir + "/htdocs";
  std::filesystem::create_directories(docroot);
  std::ofstream(docroot + "/jobs.json") << R"([{"id":1}])";
  Http2Server server(docroot, pki.key, pki.cert);
  REQUIRE_MESSAGE(server.port() > 0, "nghttpd (Debian's nghttp2-server) did not start");
  auto transport = make_curl_transport({pki.cert, std::chrono::seconds(5), 1 << 20});
  for (int i = 0; i < 2; ++i) {
    HttpRequest request;
    request.base_url = "https://127.0.0.1:" + std::to_string(server.port());
    request.path = "/jobs.json";
    const HttpResponse response = transport->send(request);
    CHECK(response.transport_error.empty());
    CHECK(response.status == 200);
    CHECK(response.body == R"([{"id":1}])");
    // HTTP/2 header names travel in lower case; an HTTP/1.1 answer would not be read at all.
    bool lower_case_names = !response.headers.empty();
    for (const auto& header : response.headers) {
      lower_case_names = lower_case_names && header.first == ascii_lower_string(header.first);
    }
    CHECK(lower_case_names);
  }
}
