#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "web/routes.h"
#include "web/web_server.h"

namespace {

using swr::web::Exposition;
using swr::web::WebOptions;
using swr::web::WebServer;

constexpr std::string_view kExposition =
    "# HELP swr_sync_up Whether the last poll cycle succeeded.\n"
    "# TYPE swr_sync_up gauge\n"
    "swr_sync_up 1\n";

std::string gzip(std::string_view text) {
  z_stream zs{};
  REQUIRE(deflateInit2(&zs, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK);
  std::string out(deflateBound(&zs, text.size()) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  zs.avail_in = static_cast<uInt>(text.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  REQUIRE(deflate(&zs, Z_FINISH) == Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

std::optional<std::string> gunzip(std::string_view data) {
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 16) != Z_OK) return std::nullopt;
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  std::string out;
  char buffer[4096];
  int rc = Z_OK;
  while (rc == Z_OK) {
    zs.next_out = reinterpret_cast<Bytef*>(buffer);
    zs.avail_out = sizeof buffer;
    rc = inflate(&zs, Z_NO_FLUSH);
    out.append(buffer, sizeof buffer - zs.avail_out);
  }
  inflateEnd(&zs);
  if (rc != Z_STREAM_END || zs.avail_in != 0) return std::nullopt;
  return out;
}

// An Exposition that writes two held strings; a null gzip means none.
Exposition bodies(std::shared_ptr<const std::string> text, std::shared_ptr<const std::string> gz) {
  auto writer = [](std::shared_ptr<const std::string> bytes) {
    return [bytes = std::move(bytes)](const swr::web::BodySink& sink) { return sink(*bytes); };
  };
  Exposition out;
  out.text_size = text->size();
  out.write_text = writer(std::move(text));
  if (gz) {
    out.gzip_size = gz->size();
    out.write_gzip = writer(std::move(gz));
  }
  return out;
}

// A server on 127.0.0.1:0 serving in a background thread for the length of one test.
struct RunningServer {
  std::atomic<bool> ready{false};
  std::shared_ptr<const std::string> text = std::make_shared<const std::string>(kExposition);
  std::shared_ptr<const std::string> gz = std::make_shared<const std::string>(gzip(kExposition));
  std::unique_ptr<WebServer> server;
  std::thread thread;
  std::mutex mutex;  // the test thread swaps the bytes while server threads read them

  void set_exposition(std::shared_ptr<const std::string> new_text,
                      std::shared_ptr<const std::string> new_gz) {
    std::lock_guard lock(mutex);
    text = std::move(new_text);
    gz = std::move(new_gz);
  }

  explicit RunningServer(WebOptions options = {}) {
    options.listen_address = "127.0.0.1:0";
    if (options.version.empty()) options.version = "1.2.3";
    server = std::make_unique<WebServer>(
        options,
        [this] {
          std::lock_guard lock(mutex);
          return bodies(text, gz);
        },
        [this] { return ready.load(); });
    const auto bound = server->bind();
    REQUIRE_MESSAGE(bound.has_value(), (bound ? std::string() : bound.error()));
    REQUIRE(server->port() > 0);
    thread = std::thread([this] { server->run(); });
  }

  ~RunningServer() {
    server->stop();
    thread.join();
  }

  httplib::Client client() const {
    httplib::Client cli("127.0.0.1", server->port());
    cli.set_decompress(false);  // check the bytes on the wire
    cli.set_connection_timeout(std::chrono::seconds(5));
    cli.set_read_timeout(std::chrono::seconds(5));
    return cli;
  }
};

// Sends raw bytes and reads until the server closes the connection.
std::string raw_exchange(int port, std::string_view request) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  timeval timeout{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  std::size_t sent = 0;
  while (sent < request.size()) {
    const ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<std::size_t>(n);
  }
  std::string response;
  char buffer[4096];
  for (ssize_t n; (n = ::recv(fd, buffer, sizeof buffer, 0)) > 0;) {
    response.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return response;
}

}  // namespace

TEST_CASE("parse_listen_address") {
  struct Row {
    std::string_view input;
    std::optional<std::pair<std::string, int>> want;
  };
  const std::vector<Row> rows = {
      {":9", std::pair{std::string(""), 9}},
      {":0", std::pair{std::string(""), 0}},
      {"127.0.0.1:9273", std::pair{std::string("127.0.0.1"), 9273}},
      {"localhost:65535", std::pair{std::string("localhost"), 65535}},
      {"[::1]:8080", std::pair{std::string("::1"), 8080}},
      {"[::]:80", std::pair{std::string("::"), 80}},
      {"[fe80::1%eth0]:80", std::pair{std::string("fe80::1%eth0"), 80}},
      {"", std::nullopt},
      {"9100", std::nullopt},
      {"host:", std::nullopt},
      {":", std::nullopt},
      {":65536", std::nullopt},
      {":123456", std::nullopt},
      {":-1", std::nullopt},
      {":+80", std::nullopt},
      {":80a", std::nullopt},
      {"::1:9100", std::nullopt},
      {"[::1]9100", std::nullopt},
      {"[::1]:", std::nullopt},
      {"[::1", std::nullopt},
      {"[]:80", std::nullopt},
      {"[127.0.0.1]:80", std::nullopt},
      {"a]b:80", std::nullopt},
  };
  for (const auto& row : rows) {
    CAPTURE(row.input);
    CHECK(swr::web::parse_listen_address(row.input) == row.want);
  }
}

TEST_CASE("accepts_gzip") {
  struct Row {
    std::string_view header;
    bool want;
  };
  const std::vector<Row> rows = {
      {"", false},
      {"gzip", true},
      {"GZip", true},
      {"x-gzip", true},
      {"gzip, deflate, br", true},
      {"br", false},
      {"br, deflate", false},
      {"identity", false},
      {"gzip;q=0", false},
      {"gzip; q=0.000", false},
      {"gzip;q=0.001", true},
      {"gzip;q=1.0", true},
      {"gzip ; Q=0.5", true},
      {"gzip;q=0, *", false},
      {"*", true},
      {"*;q=0", false},
      {"br;q=1, *;q=0.1", true},
      {"gzip;q=2", false},
      {"gzip;q=abc", false},
      {"gzip;q=0.", false},
      {"gzipx", false},
      {" , ,gzip", true},
  };
  for (const auto& row : rows) {
    CAPTURE(row.header);
    CHECK(swr::web::accepts_gzip(row.header) == row.want);
  }
}

TEST_CASE("landing page") {
  RunningServer s;
  auto cli = s.client();
  const auto res = cli.Get("/", {{"Accept-Encoding", "gzip, br"}});
  REQUIRE(res);
  CHECK(res->status == 200);
  CHECK(res->get_header_value("Content-Type") == "text/html; charset=utf-8");
  CHECK_FALSE(res->has_header("Content-Encoding"));  // httplib must not compress on its own
  CHECK(res->body.find("<title>SWR Sync Exporter</title>") != std::string::npos);
  CHECK(res->body.find("1.2.3") != std::string::npos);
  CHECK(res->body.find("href=\"/metrics\"") != std::string::npos);
  CHECK(res->body.find("href=\"/-/healthy\"") != std::string::npos);
  CHECK(res->body.find("href=\"/-/ready\"") != std::string::npos);
}

TEST_CASE("landing page escapes the version and follows the telemetry path") {
  WebOptions options;
  options.version = "<b>1</b>";
  options.telemetry_path = "/swr/metrics";
  RunningServer s(options);
  auto cli = s.client();
  const auto res = cli.Get("/");
  REQUIRE(res);
  CHECK(res->body.find("&lt;b&gt;1&lt;/b&gt;") != std::string::npos);
  CHECK(res->body.find("href=\"/swr/metrics\"") != std::string::npos);
  const auto metrics = cli.Get("/swr/metrics");
  REQUIRE(metrics);
  CHECK(metrics->status == 200);
  const auto old_path = cli.Get("/metrics");
  REQUIRE(old_path);
  CHECK(old_path->status == 404);
}

TEST_CASE("health and readiness") {
  RunningServer s;
  auto cli = s.client();
  const auto healthy = cli.Get("/-/healthy");
  REQUIRE(healthy);
  CHECK(healthy->status == 200);
  CHECK(healthy->body == "OK");

  const auto not_ready = cli.Get("/-/ready");
  REQUIRE(not_ready);
  CHECK(not_ready->status == 503);
  CHECK(not_ready->body == "Not ready: the first poll cycle has not finished");

  s.ready = true;
  const auto ready = cli.Get("/-/ready");
  REQUIRE(ready);
  CHECK(ready->status == 200);
  CHECK(ready->body == "OK");
}

TEST_CASE("telemetry path negotiates gzip") {
  RunningServer s;
  auto cli = s.client();
  const std::string plain(kExposition);

  SUBCASE("gzip accepted: the pre-compressed body, not compressed again") {
    for (const char* accept : {"gzip", "gzip, br", "br;q=1.0, gzip;q=0.8, *;q=0.1"}) {
      CAPTURE(accept);
      const auto res = cli.Get("/metrics", {{"Accept-Encoding", accept}});
      REQUIRE(res);
      CHECK(res->status == 200);
      CHECK(res->get_header_value("Content-Type") == "text/plain; version=0.0.4; charset=utf-8");
      CHECK(res->get_header_value("Content-Encoding") == "gzip");
      CHECK(res->get_header_value("Vary") == "Accept-Encoding");
      CHECK(res->body == *s.gz);
      CHECK(gunzip(res->body) == plain);
    }
  }
  SUBCASE("gzip refused or not offered: plain text, never brotli") {
    for (const char* accept : {"gzip;q=0", "br", "identity", "deflate, br;q=0.9"}) {
      CAPTURE(accept);
      const auto res = cli.Get("/metrics", {{"Accept-Encoding", accept}});
      REQUIRE(res);
      CHECK(res->status == 200);
      CHECK_FALSE(res->has_header("Content-Encoding"));
      CHECK(res->get_header_value("Vary") == "Accept-Encoding");
      CHECK(res->body == plain);
    }
  }
  SUBCASE("no Accept-Encoding header at all") {
    // httplib's client always adds one, so this goes over a raw socket.
    const std::string response = raw_exchange(
        s.server->port(), "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    CHECK(response.starts_with("HTTP/1.1 200 OK\r\n"));
    CHECK(response.find("Content-Encoding") == std::string::npos);
    CHECK(response.ends_with("\r\n\r\n" + plain));
  }
  SUBCASE("no gzip body available") {
    s.set_exposition(s.text, nullptr);
    const auto res = cli.Get("/metrics", {{"Accept-Encoding", "gzip"}});
    REQUIRE(res);
    CHECK_FALSE(res->has_header("Content-Encoding"));
    CHECK(res->body == plain);
  }
  SUBCASE("an empty exposition is an empty 200") {
    s.set_exposition(std::make_shared<const std::string>(), nullptr);
    const auto res = cli.Get("/metrics");
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK(res->get_header_value("Content-Length") == "0");
    CHECK(res->body.empty());
  }
}

TEST_CASE("a large exposition arrives whole across short writes") {
  RunningServer s;
  std::string big;
  for (int i = 0; big.size() < (8u << 20); ++i) {
    big += "swr_sync_job_status{repository=\"r" + std::to_string(i) + "\"} 1\n";
  }
  s.set_exposition(std::make_shared<const std::string>(big),
                   std::make_shared<const std::string>(gzip(big)));
  auto cli = s.client();
  const auto plain = cli.Get("/metrics", {{"Accept-Encoding", "identity"}});
  REQUIRE(plain);
  CHECK(plain->body == big);
  const auto gz = cli.Get("/metrics", {{"Accept-Encoding", "gzip"}});
  REQUIRE(gz);
  CHECK(gunzip(gz->body) == big);
}

TEST_CASE("HEAD sends the headers of GET without a body") {
  RunningServer s;
  auto cli = s.client();
  const auto plain = cli.Head("/metrics");
  REQUIRE(plain);
  CHECK(plain->status == 200);
  CHECK(plain->get_header_value("Content-Length") == std::to_string(kExposition.size()));
  CHECK(plain->body.empty());

  const auto gz = cli.Head("/metrics", {{"Accept-Encoding", "gzip"}});
  REQUIRE(gz);
  CHECK(gz->get_header_value("Content-Encoding") == "gzip");
  CHECK(gz->get_header_value("Content-Length") == std::to_string(s.gz->size()));

  const auto healthy = cli.Head("/-/healthy");
  REQUIRE(healthy);
  CHECK(healthy->status == 200);
}

TEST_CASE("Range is ignored: the whole body with 200") {
  RunningServer s;
  auto cli = s.client();
  for (const char* range : {"bytes=0-1", "bytes=0-1,4-5"}) {
    CAPTURE(range);
    const auto res = cli.Get("/metrics", {{"Range", range}});
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK_FALSE(res->has_header("Content-Range"));
    CHECK(res->body == kExposition);
  }
}

TEST_CASE("only GET and HEAD are allowed") {
  RunningServer s;
  auto cli = s.client();
  const auto post = cli.Post("/metrics", "x=1", "application/x-www-form-urlencoded");
  REQUIRE(post);
  CHECK(post->status == 405);
  CHECK(post->get_header_value("Allow") == "GET, HEAD");
  const auto del = cli.Delete("/-/healthy");
  REQUIRE(del);
  CHECK(del->status == 405);
  const auto options = cli.Options("/");
  REQUIRE(options);
  CHECK(options->status == 405);

  // The unread body of a refused request must not be parsed as the next request.
  const std::string response =
      raw_exchange(s.server->port(),
                   "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 14\r\n\r\nGET / HTTP/1.1"
                   "\r\n\r\nGET /-/healthy HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK(response.starts_with("HTTP/1.1 405 Method Not Allowed\r\n"));
  CHECK(response.find("HTTP/1.1 200") == std::string::npos);
  CHECK(response.find("HTTP/1.1 400") == std::string::npos);
}

TEST_CASE("unknown paths are 404") {
  RunningServer s;
  auto cli = s.client();
  for (const char* path : {"/nope", "/metrics/", "/-/", "/-/healthy/x", "/index.html"}) {
    CAPTURE(path);
    const auto res = cli.Get(path);
    REQUIRE(res);
    CHECK(res->status == 404);
  }
}

TEST_CASE("keep-alive connections carry several requests") {
  RunningServer s;
  auto cli = s.client();
  cli.set_keep_alive(true);
  for (int i = 0; i < 3; ++i) {
    const auto res = cli.Get("/-/healthy");
    REQUIRE(res);
    CHECK(res->status == 200);
  }
}

TEST_CASE("headers over max_header_bytes are refused and the connection closed") {
  WebOptions options;
  options.max_header_bytes = 1024;
  RunningServer s(options);
  const std::string big(2000, 'a');
  const std::string response = raw_exchange(
      s.server->port(), "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " + big + "\r\n\r\n");
  CHECK(response.starts_with("HTTP/1.1 400 "));

  const std::string fits = raw_exchange(
      s.server->port(), "GET /-/healthy HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Pad: " +
                            std::string(900, 'a') + "\r\n\r\n");
  CHECK(fits.starts_with("HTTP/1.1 200 OK\r\n"));
}

TEST_CASE("bind reports the address and the reason") {
  RunningServer first;
  WebOptions options;
  options.listen_address = "127.0.0.1:" + std::to_string(first.server->port());
  WebServer second(
      options, [] { return Exposition{}; }, [] { return true; });
  const auto bound = second.bind();
  REQUIRE_FALSE(bound.has_value());
  CHECK(bound.error().find(options.listen_address) != std::string::npos);
  CHECK(bound.error().find("Address already in use") != std::string::npos);

  options.listen_address = "nonsense";
  WebServer bad(
      options, [] { return Exposition{}; }, [] { return true; });
  const auto bad_bound = bad.bind();
  REQUIRE_FALSE(bad_bound.has_value());
  CHECK(bad_bound.error().find("nonsense") != std::string::npos);

  options.listen_address = "127.0.0.1:0";
  options.telemetry_path = "metrics";
  WebServer bad_path(
      options, [] { return Exposition{}; }, [] { return true; });
  CHECK_FALSE(bad_path.bind().has_value());
}

TEST_CASE("stop before run makes run return at once") {
  WebOptions options;
  options.listen_address = "127.0.0.1:0";
  WebServer server(
      options, [] { return Exposition{}; }, [] { return true; });
  REQUIRE(server.bind().has_value());
  server.stop();
  server.run();  // would block forever if stop() had been lost
}

TEST_CASE("stop wakes idle and stalled connections") {
  WebOptions options;
  options.listen_address = "127.0.0.1:0";
  options.read_timeout = std::chrono::minutes(10);
  options.keep_alive_timeout = std::chrono::minutes(10);
  WebServer server(
      options, [] { return Exposition{}; }, [] { return true; });
  REQUIRE(server.bind().has_value());
  auto done = std::async(std::launch::async, [&] { server.run(); });

  httplib::Client idle("127.0.0.1", server.port());
  idle.set_keep_alive(true);
  REQUIRE(idle.Get("/-/healthy"));  // leaves an idle keep-alive connection

  const int stalled = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(server.port()));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(stalled, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::send(stalled, "GET /metr", 9, MSG_NOSIGNAL) == 9);  // half a request line

  server.stop();
  // Without the wake-up both connections would hold run() for ten minutes.
  CHECK(done.wait_for(std::chrono::seconds(30)) == std::future_status::ready);
  ::close(stalled);
}

TEST_CASE("Routes: which answers close the connection") {
  WebOptions options;
  int reloads = 0;
  options.reload = [&reloads]() -> swr::Result<void> {
    ++reloads;
    return {};
  };
  swr::web::Routes routes(
      options, [] { return bodies(std::make_shared<const std::string>(kExposition), nullptr); },
      [] { return true; });
  const auto answer = [&routes](std::string_view method, std::string_view path) {
    return routes.answer({method, path, "", ""});
  };

  const auto get = answer("GET", "/metrics");
  CHECK(get.status == 200);
  CHECK(get.body_size == kExposition.size());
  CHECK_FALSE(get.close_connection);
  CHECK_FALSE(answer("HEAD", "/-/ready").close_connection);
  CHECK_FALSE(answer("GET", "/nope").close_connection);

  // A refused method leaves its body unread; a reload changes what later requests would get.
  const auto post = answer("POST", "/metrics");
  CHECK(post.status == 405);
  CHECK(post.close_connection);
  const auto reload = answer("POST", "/-/reload");
  CHECK(reload.status == 200);
  CHECK(reload.close_connection);
  CHECK(reloads == 1);
}
