// The libcurl transport against a raw socket server: 9 KB IAM tokens both ways, the body cap,
// and a server that never answers.
#include "huaweicloud/transport.h"

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <thread>

#include "huaweicloud/authorizer.h"
#include "huaweicloud/swr_client.h"

using namespace swr;
using namespace swr::huaweicloud;

namespace {

// Accepts connections one at a time; hands each request's head to `respond`, which returns the
// raw bytes to answer with (or nothing to keep the connection silent).
class RawServer {
 public:
  using Respond = std::function<std::optional<std::string>(const std::string& request_head)>;
  explicit RawServer(Respond respond) : respond_(std::move(respond)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    REQUIRE(::listen(fd_, 8) == 0);
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
      std::string head;
      char buf[65536];
      while (head.find("\r\n\r\n") == std::string::npos) {
        const ssize_t n = ::recv(client, buf, sizeof buf, 0);
        if (n <= 0) break;
        head.append(buf, static_cast<std::size_t>(n));
      }
      {
        std::lock_guard lock(mutex_);
        requests_.push_back(head);
      }
      if (auto answer = respond_(head)) {
        std::size_t sent = 0;
        while (sent < answer->size()) {
          const ssize_t n =
              ::send(client, answer->data() + sent, answer->size() - sent, MSG_NOSIGNAL);
          if (n <= 0) break;
          sent += static_cast<std::size_t>(n);
        }
      } else {
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
  REQUIRE_MESSAGE(page.page, page.failure.message);
  CHECK(page.page->jobs.empty());
  CHECK(page.page->total == 0);

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
  CHECK(response.status == 0);
  CHECK_FALSE(response.body_too_large);
  CHECK(response.transport_error == "no complete response within 300 ms (" + server.url() + ")");
  CHECK(took < std::chrono::seconds(5));
}
