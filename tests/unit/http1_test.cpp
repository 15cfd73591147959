// HTTP/1.1 on the wire (src/huaweicloud/http1.h): the bytes of a request, and responses read
// whole, byte by byte and split at every position, which must all read the same.
#include "huaweicloud/http1.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "model/utf8.h"

using namespace swr;
using namespace swr::huaweicloud;

namespace {

using State = Http1ResponseReader::State;

std::string_view name(State state) {
  switch (state) {
    case State::reading:
      return "reading";
    case State::complete:
      return "complete";
    case State::failed:
      return "failed";
  }
  return "?";
}

// Bytes as a C string literal would show them, for failure messages.
std::string shown(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (const char ch : bytes) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '\r') {
      out += "\\r";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\\' || c == '"') {
      out.push_back('\\');
      out.push_back(ch);
    } else if (c < 0x20 || c >= 0x7f) {
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    } else {
      out.push_back(ch);
    }
  }
  return out;
}

// Everything a reader says once its bytes are in; the response only when complete.
struct Outcome {
  State state = State::reading;
  bool started = false;
  bool reusable = false;
  bool too_large = false;
  std::string error;
  int status = 0;
  KeyValues headers;
  std::string body;
  bool operator==(const Outcome&) const = default;
};

std::ostream& operator<<(std::ostream& out, const Outcome& o) {
  out << "{state " << name(o.state) << ", started " << o.started << ", reusable " << o.reusable
      << ", too_large " << o.too_large << ", error \"" << shown(o.error) << "\", status "
      << o.status << ", headers [";
  for (const auto& [k, v] : o.headers) out << '"' << shown(k) << "\": \"" << shown(v) << "\", ";
  return out << "], body \"" << shown(o.body) << "\"}";
}

struct Reading {
  bool head_request = false;
  std::size_t max_body = 1024 * 1024;
  std::size_t max_head = 256 * 1024;
  bool close = false;  // the server closes the connection after the bytes
};

Outcome outcome_of(Http1ResponseReader& reader) {
  Outcome o;
  o.state = reader.state();
  o.started = reader.started();
  o.reusable = reader.reusable();
  o.too_large = reader.body_too_large();
  o.error = reader.error();
  if (o.state == State::complete) {
    HttpResponse response = reader.take();
    o.status = response.status;
    o.headers = response.headers;
    o.body = response.body;
  }
  return o;
}

Outcome read_in(const std::vector<std::string_view>& parts, const Reading& how = {}) {
  Http1ResponseReader reader(how.head_request, how.max_body, how.max_head);
  for (const std::string_view part : parts) reader.feed(part);
  if (how.close && reader.state() == State::reading) reader.closed();
  return outcome_of(reader);
}

Outcome read_whole(std::string_view bytes, const Reading& how = {}) {
  return read_in({bytes}, how);
}

// Reads `bytes` whole, then byte by byte, then split in two at every position: all must agree.
// Returns what the whole read said.
Outcome read_split_anywhere(std::string_view bytes, const Reading& how = {}) {
  const Outcome whole = read_whole(bytes, how);
  std::vector<std::string_view> bytewise;
  for (std::size_t i = 0; i < bytes.size(); ++i) bytewise.push_back(bytes.substr(i, 1));
  {
    INFO("fed one byte at a time: ", shown(bytes));
    CHECK(read_in(bytewise, how) == whole);
  }
  for (std::size_t split = 0; split <= bytes.size(); ++split) {
    const Outcome parts = read_in({bytes.substr(0, split), bytes.substr(split)}, how);
    if (parts == whole) continue;
    INFO("split after byte ", split, " of ", shown(bytes));
    CHECK(parts == whole);
    break;  // the first split that differs says enough
  }
  return whole;
}

bool mentions(std::string_view text, std::string_view word) {
  const auto lower = [](char c) { return std::tolower(static_cast<unsigned char>(c)); };
  return std::search(text.begin(), text.end(), word.begin(), word.end(),
                     [&](char a, char b) { return lower(a) == lower(b); }) != text.end();
}

// An error message fit for a log line and a metric label: no control bytes, valid UTF-8.
bool clean(std::string_view message) {
  for (const char ch : message) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7f) return false;
  }
  return is_valid_utf8(message);
}

// The response failed with a message fit for a log line that names `part`.
void check_failed_naming(const Outcome& o, std::string_view part) {
  INFO(o);
  CHECK(o.state == State::failed);
  CHECK_FALSE(o.reusable);
  CHECK(mentions(o.error, part));
  CHECK(clean(o.error));
}

std::string lines(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (const std::string_view part : parts) out += part;
  return out;
}

std::size_t count_lines_starting(std::string_view text, std::string_view prefix) {
  std::size_t count = 0;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find("\r\n", start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(start, end - start);
    if (line.size() >= prefix.size() && mentions(line.substr(0, prefix.size()), prefix)) ++count;
    start = end + 2;
  }
  return count;
}

HttpRequest signed_get() {
  HttpRequest request;
  request.method = "GET";
  request.base_url = "http://127.0.0.1:8080";
  request.path = "/v2/manage/namespaces/my org/repos";
  request.query = {{"filter", "namespace::a|b"}, {"limit", "100"}};
  request.headers = {
      {"X-Sdk-Date", "20200608T023900Z"},
      {"Authorization", "SDK-HMAC-SHA256 Access=AK, SignedHeaders=host;x-sdk-date, Signature=5f3a"},
      {"Content-Type", "application/json;charset=utf8"}};
  return request;
}

}  // namespace

// --- the request -------------------------------------------------------------------------------

TEST_CASE("http1: a GET is its request line, Host and the headers in order, no Content-Length") {
  const HttpRequest request = signed_get();
  REQUIRE(request.target() ==
          "/v2/manage/namespaces/my%20org/repos?filter=namespace%3A%3Aa%7Cb&limit=100");
  REQUIRE(request.host() == "127.0.0.1:8080");
  std::string error;
  const auto bytes = http1_request(request, error);
  REQUIRE(bytes.has_value());
  CHECK(
      *bytes ==
      "GET /v2/manage/namespaces/my%20org/repos?filter=namespace%3A%3Aa%7Cb&limit=100 HTTP/1.1\r\n"
      "Host: 127.0.0.1:8080\r\n"
      "X-Sdk-Date: 20200608T023900Z\r\n"
      "Authorization: SDK-HMAC-SHA256 Access=AK, SignedHeaders=host;x-sdk-date, Signature=5f3a\r\n"
      "Content-Type: application/json;charset=utf8\r\n"
      "\r\n");
  CHECK_FALSE(mentions(*bytes, "Content-Length"));
  CHECK_FALSE(mentions(*bytes, "Accept-Encoding"));

  HttpRequest bare;
  bare.base_url = "https://swr-api.cn-north-4.myhuaweicloud.com";
  bare.path = "/";
  const auto root = http1_request(bare, error);
  REQUIRE(root.has_value());
  CHECK(*root == "GET / HTTP/1.1\r\nHost: swr-api.cn-north-4.myhuaweicloud.com\r\n\r\n");
}

TEST_CASE("http1: a request with a body or another method than GET carries Content-Length") {
  std::string error;
  SUBCASE("a POST with a JSON body: the body after the blank line") {
    HttpRequest request;
    request.method = "POST";
    request.base_url = "http://127.0.0.1:8080";
    request.path = "/v3/auth/tokens";
    request.headers = {{"Content-Type", "application/json"}};
    request.body = R"({"auth":{"identity":{"methods":["password"]}}})";
    const auto bytes = http1_request(request, error);
    REQUIRE(bytes.has_value());
    CHECK(*bytes ==
          "POST /v3/auth/tokens HTTP/1.1\r\n"
          "Host: 127.0.0.1:8080\r\n"
          "Content-Type: application/json\r\n"
          "Content-Length: 46\r\n"
          "\r\n"
          R"({"auth":{"identity":{"methods":["password"]}}})");
    CHECK(request.body.size() == 46);
  }
  SUBCASE("a POST with an empty body: Content-Length: 0") {
    HttpRequest request;
    request.method = "POST";
    request.base_url = "http://127.0.0.1:8080";
    request.path = "/v2/manage/repos/sync";
    const auto bytes = http1_request(request, error);
    REQUIRE(bytes.has_value());
    CHECK(
        *bytes ==
        "POST /v2/manage/repos/sync HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nContent-Length: 0\r\n\r\n");
  }
  SUBCASE("a DELETE with an empty body: Content-Length: 0") {
    HttpRequest request;
    request.method = "DELETE";
    request.base_url = "http://127.0.0.1:8080";
    request.path = "/v2/x";
    const auto bytes = http1_request(request, error);
    REQUIRE(bytes.has_value());
    CHECK(*bytes == "DELETE /v2/x HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nContent-Length: 0\r\n\r\n");
  }
  SUBCASE("a GET with a body") {
    HttpRequest request;
    request.base_url = "http://127.0.0.1:8080";
    request.path = "/v2/x";
    request.body = "abc";
    const auto bytes = http1_request(request, error);
    REQUIRE(bytes.has_value());
    CHECK(*bytes == "GET /v2/x HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nContent-Length: 3\r\n\r\nabc");
  }
}

TEST_CASE("http1: a Host header in the request is sent instead of the generated one, once") {
  std::string error;
  for (const char* host_name : {"Host", "host", "HOST"}) {
    INFO(std::string(host_name));
    HttpRequest request = signed_get();
    request.headers.insert(request.headers.begin() + 1, {host_name, "swr-api.example.com"});
    const auto bytes = http1_request(request, error);
    REQUIRE(bytes.has_value());
    INFO(shown(*bytes));
    CHECK(count_lines_starting(*bytes, "host:") == 1);
    CHECK(bytes->find(std::string(host_name) + ": swr-api.example.com\r\n") != std::string::npos);
    CHECK(bytes->find("127.0.0.1") == std::string::npos);
    CHECK(bytes->starts_with("GET /v2/manage/namespaces/my%20org/repos?"));
    CHECK(bytes->ends_with("\r\n\r\n"));
    CHECK(bytes->find("X-Sdk-Date: 20200608T023900Z\r\n") != std::string::npos);
  }
}

TEST_CASE("http1: a request whose method or headers would break the message is refused") {
  struct Row {
    const char* what;
    std::string method;
    std::string header_name;
    std::string header_value;
    const char* named;  // the error says this
  };
  const Row rows[] = {
      {"CR in a value", "GET", "X-Bad", "a\rb", "X-Bad"},
      {"LF in a value", "GET", "X-Bad", "a\nInjected: yes", "X-Bad"},
      {"CRLF in a value", "GET", "X-Bad", "a\r\n\r\nGET / HTTP/1.1", "X-Bad"},
      {"NUL in a value", "GET", "X-Bad", std::string("a\0b", 3), "X-Bad"},
      {"a space in a name", "GET", "X Bad", "v", "header"},
      {"a colon in a name", "GET", "X:Bad", "v", "header"},
      {"an empty name", "GET", "", "v", "header"},
      {"LF in a name", "GET", "X-Bad\nY", "v", "header"},
      {"a space in the method", "GE T", "X-Ok", "v", "method"},
      {"an empty method", "", "X-Ok", "v", "method"},
      {"CRLF in the method", "GET\r\n", "X-Ok", "v", "method"},
  };
  for (const Row& row : rows) {
    INFO(std::string(row.what));
    HttpRequest request = signed_get();
    request.method = row.method;
    request.headers.emplace_back(row.header_name, row.header_value);
    std::string error;
    const auto bytes = http1_request(request, error);
    CHECK_FALSE(bytes.has_value());
    CAPTURE(shown(error));
    CHECK(mentions(error, row.named));
    CHECK(clean(error));
  }
  // What HTTP allows in a value goes through: a tab, UTF-8, an empty value.
  HttpRequest request = signed_get();
  request.headers.emplace_back("X-Tab", "a\tb");
  request.headers.emplace_back("X-Utf8", "d\xc3\xa9j\xc3\xa0");
  request.headers.emplace_back("X-Empty", "");
  std::string error;
  const auto bytes = http1_request(request, error);
  REQUIRE(bytes.has_value());
  CHECK(bytes->ends_with("X-Tab: a\tb\r\nX-Utf8: d\xc3\xa9j\xc3\xa0\r\nX-Empty: \r\n\r\n"));
}

// --- the response ------------------------------------------------------------------------------

TEST_CASE("http1: a Content-Length response reads the same whole, byte by byte, split anywhere") {
  const std::string body = "{\"namespaces\":[{\"id\":1,\"name\":\"a\\r\\n\"}]}\r\n\r\nHTTP/1.1 200";
  const std::string bytes = lines({"HTTP/1.1 200 OK\r\n", "Content-Type: application/json\r\n",
                                   "Content-Length: ", std::to_string(body.size()), "\r\n",
                                   "X-Request-Id: abc123\r\n", "\r\n", body});
  const Outcome o = read_split_anywhere(bytes);
  INFO(o);
  CHECK(o.state == State::complete);
  CHECK(o.started);
  CHECK(o.reusable);
  CHECK_FALSE(o.too_large);
  CHECK(o.status == 200);
  CHECK(o.headers == KeyValues{{"Content-Type", "application/json"},
                               {"Content-Length", std::to_string(body.size())},
                               {"X-Request-Id", "abc123"}});
  CHECK(o.body == body);

  // take() hands over a plain response: no transport error, not refused.
  Http1ResponseReader reader(false, 1024 * 1024);
  CHECK(reader.feed(bytes) == State::complete);
  const HttpResponse response = reader.take();
  CHECK(response.status == 200);
  CHECK(response.transport_error.empty());
  CHECK_FALSE(response.body_too_large);
  CHECK(response.header("x-request-id") == "abc123");
  CHECK(response.body == body);
  CHECK(response.code_label() == "200");
}

TEST_CASE("http1: a Content-Length: 0 response is complete with its head") {
  Http1ResponseReader reader(false, 4096);
  CHECK(reader.feed("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n") == State::complete);
  CHECK(reader.reusable());
  const HttpResponse response = reader.take();
  CHECK(response.status == 404);
  CHECK(response.body.empty());
}

TEST_CASE("http1: headers are kept as sent: order, duplicates, name case; values trimmed") {
  const std::string bytes = lines(
      {"HTTP/1.1 200 OK\r\n", "x-MiXeD-Case: Value\r\n", "X-Padded: \t  spaced \t value \t \r\n",
       "Set-Cookie: a=1\r\n", "Set-Cookie: b=2\r\n", "X-Empty:\r\n", "X-Blank: \t \r\n",
       "Location:http://127.0.0.1:8080/a:b\r\n", "Content-Length: 0\r\n", "\r\n"});
  const Outcome o = read_split_anywhere(bytes);
  INFO(o);
  CHECK(o.state == State::complete);
  CHECK(o.headers == KeyValues{{"x-MiXeD-Case", "Value"},
                               {"X-Padded", "spaced \t value"},
                               {"Set-Cookie", "a=1"},
                               {"Set-Cookie", "b=2"},
                               {"X-Empty", ""},
                               {"X-Blank", ""},
                               {"Location", "http://127.0.0.1:8080/a:b"},
                               {"Content-Length", "0"}});
  CHECK(o.body.empty());
  CHECK(o.reusable);
}

TEST_CASE("http1: bare LF line ends read like CRLF") {
  const Outcome lf = read_split_anywhere("HTTP/1.1 200 OK\nX-A: b\nContent-Length: 5\n\nhello");
  {
    INFO(lf);
    CHECK(lf.state == State::complete);
    CHECK(lf.status == 200);
    CHECK(lf.headers == KeyValues{{"X-A", "b"}, {"Content-Length", "5"}});
    CHECK(lf.body == "hello");
    CHECK(lf.reusable);
  }
  const Outcome mixed =
      read_split_anywhere("HTTP/1.1 201 Created\nX-A: b\r\nContent-Length: 2\n\r\nok");
  INFO(mixed);
  CHECK(mixed.state == State::complete);
  CHECK(mixed.status == 201);
  CHECK(mixed.headers == KeyValues{{"X-A", "b"}, {"Content-Length", "2"}});
  CHECK(mixed.body == "ok");
}

TEST_CASE("http1: a folded header line continues the previous value after one space") {
  const std::string bytes =
      lines({"HTTP/1.1 200 OK\r\n", "X-Folded: first\r\n", "   second\r\n", "\tthird \r\n",
             "X-After: yes\r\n", "Content-Length: 2\r\n", "\r\n", "ok"});
  const Outcome o = read_split_anywhere(bytes);
  INFO(o);
  CHECK(o.state == State::complete);
  CHECK(o.headers ==
        KeyValues{{"X-Folded", "first second third"}, {"X-After", "yes"}, {"Content-Length", "2"}});
  CHECK(o.body == "ok");
}

TEST_CASE("http1: a chunked body with extensions, either hex case and trailers, split anywhere") {
  const std::string bytes =
      lines({"HTTP/1.1 200 OK\r\n", "Transfer-Encoding: chunked\r\n",
             "Content-Type: application/json\r\n", "\r\n", "4;ext=1\r\n{\"a\"\r\n",
             "A\r\n:\"0123456\"\r\n", "b;name=\"quoted value\";x\r\n,\"b\":\"xyz\"}\r\n",
             "7\r\nab\r\ncde\r\n", "0;last\r\n", "X-Trailer: done\r\n", "\r\n"});
  const Outcome o = read_split_anywhere(bytes);
  INFO(o);
  CHECK(o.state == State::complete);
  CHECK(o.status == 200);
  CHECK(o.body == "{\"a\":\"0123456\",\"b\":\"xyz\"}ab\r\ncde");
  REQUIRE(o.headers.size() >= 2);
  CHECK(o.headers[0] == std::pair<std::string, std::string>{"Transfer-Encoding", "chunked"});
  CHECK(o.headers[1] == std::pair<std::string, std::string>{"Content-Type", "application/json"});
  CHECK(o.reusable);

  const Outcome hex = read_split_anywhere(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
      "1F\r\n0123456789abcdef0123456789abcde\r\n0a\r\n0123456789\r\n0\r\n\r\n");
  INFO(hex);
  CHECK(hex.state == State::complete);
  CHECK(hex.body == "0123456789abcdef0123456789abcde0123456789");
  CHECK(hex.reusable);
}

TEST_CASE("http1: a chunked body is complete only after the line that ends it") {
  const std::string head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  Http1ResponseReader plain(false, 4096);
  CHECK(plain.feed(head + "3\r\nabc\r\n0\r\n") == State::reading);
  CHECK_FALSE(plain.reusable());
  CHECK(plain.feed("\r\n") == State::complete);
  CHECK(plain.reusable());
  CHECK(plain.take().body == "abc");

  Http1ResponseReader trailers(false, 4096);
  CHECK(trailers.feed(head + "3\r\nabc\r\n0\r\nX-T: 1\r\n") == State::reading);
  CHECK(trailers.feed("\r\n") == State::complete);
  CHECK(trailers.reusable());
  CHECK(trailers.take().body == "abc");
}

TEST_CASE("http1: Transfer-Encoding: chunked wins over Content-Length; no reuse after") {
  for (const char* head :
       {"HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\nContent-Length: 100\r\n"}) {
    const Outcome o = read_split_anywhere(std::string(head) + "\r\n5\r\nhello\r\n0\r\n\r\n");
    INFO(o);
    CHECK(o.state == State::complete);
    CHECK(o.body == "hello");
    CHECK_FALSE(o.reusable);
  }
}

TEST_CASE("http1: a body without length or chunks runs to the close; no reuse after") {
  const std::string bytes =
      "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nall of this\r\n\r\n";
  Http1ResponseReader reader(false, 4096);
  CHECK(reader.feed(bytes) == State::reading);
  CHECK(reader.feed("and this") == State::reading);
  CHECK_FALSE(reader.reusable());
  CHECK(reader.closed() == State::complete);
  CHECK_FALSE(reader.reusable());
  const HttpResponse response = reader.take();
  CHECK(response.status == 200);
  CHECK(response.body == "all of this\r\n\r\nand this");

  const Outcome split = read_split_anywhere(bytes, {.close = true});
  INFO(split);
  CHECK(split.state == State::complete);
  CHECK(split.body == "all of this\r\n\r\n");
  CHECK_FALSE(split.reusable);

  const Outcome empty = read_whole("HTTP/1.0 200 OK\r\n\r\n", {.close = true});
  INFO(empty);
  CHECK(empty.state == State::complete);
  CHECK(empty.body.empty());
  CHECK_FALSE(empty.reusable);
}

TEST_CASE("http1: 100 Continue and 103 Early Hints before the final response are skipped") {
  const std::string bytes = lines({"HTTP/1.1 100 Continue\r\n\r\n", "HTTP/1.1 103 Early Hints\r\n",
                                   "Link: </style.css>; rel=preload\r\n\r\n",
                                   "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok"});
  const Outcome o = read_split_anywhere(bytes);
  INFO(o);
  CHECK(o.state == State::complete);
  CHECK(o.status == 201);
  CHECK(o.headers == KeyValues{{"Content-Length", "2"}});
  CHECK(o.body == "ok");
  CHECK(o.reusable);

  Http1ResponseReader only_continue(false, 4096);
  CHECK(only_continue.feed("HTTP/1.1 100 Continue\r\n\r\n") == State::reading);
  CHECK(only_continue.started());
  CHECK(only_continue.closed() == State::failed);
  CHECK_FALSE(only_continue.error().empty());
}

TEST_CASE("http1: a response to HEAD, a 204 and a 304 end with their head") {
  struct Row {
    bool head_request;
    const char* bytes;
    int status;
  };
  const Row rows[] = {
      {true, "HTTP/1.1 200 OK\r\nContent-Length: 1234567\r\n\r\n", 200},
      {true, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", 200},
      {true, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", 200},
      {true, "HTTP/1.1 404 Not Found\r\nContent-Type: text/html\r\n\r\n", 404},
      {false, "HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n", 204},
      {false, "HTTP/1.1 204 No Content\r\n\r\n", 204},
      {false, "HTTP/1.1 304 Not Modified\r\nContent-Length: 100000\r\n\r\n", 304},
      {false, "HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\n\r\n", 304},
  };
  for (const Row& row : rows) {
    const Outcome o =
        read_split_anywhere(row.bytes, {.head_request = row.head_request, .max_body = 4096});
    INFO(shown(row.bytes), " ", o);
    CHECK(o.state == State::complete);
    CHECK(o.status == row.status);
    CHECK(o.body.empty());
    CHECK(o.reusable);
    CHECK_FALSE(o.too_large);
  }
  // What follows the head of a 204 is the next response's, not this one's body.
  const Outcome after = read_whole("HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\nhello");
  INFO(after);
  CHECK(after.state == State::complete);
  CHECK(after.body.empty());
  CHECK_FALSE(after.reusable);
}

TEST_CASE("http1: reusable: HTTP/1.1 unless Connection: close, HTTP/1.0 only with keep-alive") {
  struct Row {
    const char* bytes;
    bool reusable;
  };
  const Row rows[] = {
      {"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", true},
      {"HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok", true},
      {"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok", false},
      {"HTTP/1.1 200 OK\r\nConnection: Close\r\nContent-Length: 2\r\n\r\nok", false},
      {"HTTP/1.1 200 OK\r\nConnection: foo, close\r\nContent-Length: 2\r\n\r\nok", false},
      {"HTTP/1.1 200 OK\r\nConnection: close ,foo\r\nContent-Length: 2\r\n\r\nok", false},
      {"HTTP/1.1 200 OK\r\nConnection: close\r\nTransfer-Encoding: "
       "chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
       false},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n", true},
      {"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", false},
      {"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok", true},
      {"HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 2\r\n\r\nok", true},
  };
  for (const Row& row : rows) {
    const Outcome o = read_whole(row.bytes);
    INFO(shown(row.bytes), " ", o);
    CHECK(o.state == State::complete);
    CHECK(o.body == "ok");
    CHECK(o.reusable == row.reusable);
  }
  Http1ResponseReader half(false, 4096);
  half.feed("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\no");
  CHECK_FALSE(half.reusable());
}

TEST_CASE("http1: bytes after the end leave the response complete but the connection unfit") {
  const std::string first = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
  const Outcome same_feed = read_whole(first + "HTTP/1.1 200 OK\r\n");
  {
    INFO(same_feed);
    CHECK(same_feed.state == State::complete);
    CHECK(same_feed.body == "ok");
    CHECK_FALSE(same_feed.reusable);
  }
  const Outcome chunked =
      read_whole("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\nX");
  {
    INFO(chunked);
    CHECK(chunked.state == State::complete);
    CHECK(chunked.body == "ok");
    CHECK_FALSE(chunked.reusable);
  }
  Http1ResponseReader later(false, 4096);
  CHECK(later.feed(first) == State::complete);
  CHECK(later.reusable());
  CHECK(later.feed("X") == State::complete);
  CHECK_FALSE(later.reusable());
  CHECK(later.take().body == "ok");
}

TEST_CASE("http1: a Content-Length above the body cap is refused at once") {
  Http1ResponseReader reader(false, 4096);
  CHECK(reader.feed("HTTP/1.1 200 OK\r\nContent-Length: 4097\r\n\r\n") == State::failed);
  CHECK(reader.body_too_large());
  CHECK(reader.error() == "response body larger than 4096 bytes: refused");
  CHECK_FALSE(reader.reusable());

  const std::string at_cap(4096, 'x');
  const Outcome fits =
      read_whole("HTTP/1.1 200 OK\r\nContent-Length: 4096\r\n\r\n" + at_cap, {.max_body = 4096});
  INFO(fits);
  CHECK(fits.state == State::complete);
  CHECK(fits.body == at_cap);
  CHECK_FALSE(fits.too_large);
}

TEST_CASE("http1: a chunked body growing past the cap is refused at the chunk that says so") {
  const std::string head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  Http1ResponseReader growing(false, 16);
  CHECK(growing.feed(head + "10\r\n" + std::string(16, 'x') + "\r\n") == State::reading);
  CHECK(growing.feed("1\r\n") == State::failed);
  CHECK(growing.body_too_large());
  CHECK(growing.error() == "response body larger than 16 bytes: refused");

  Http1ResponseReader one_chunk(false, 16);
  CHECK(one_chunk.feed(head + "11\r\n") == State::failed);
  CHECK(one_chunk.body_too_large());
  CHECK(one_chunk.error() == "response body larger than 16 bytes: refused");

  const Outcome fits = read_split_anywhere(
      head + "8\r\n" + std::string(8, 'a') + "\r\n8\r\n" + std::string(8, 'b') + "\r\n0\r\n\r\n",
      {.max_body = 16});
  INFO(fits);
  CHECK(fits.state == State::complete);
  CHECK(fits.body == std::string(8, 'a') + std::string(8, 'b'));
}

TEST_CASE("http1: a body to the close growing past the cap is refused") {
  const std::string head = "HTTP/1.1 200 OK\r\n\r\n";
  Http1ResponseReader reader(false, 16);
  CHECK(reader.feed(head + std::string(10, 'x')) == State::reading);
  CHECK(reader.feed(std::string(7, 'x')) == State::failed);
  CHECK(reader.body_too_large());
  CHECK(mentions(reader.error(), "larger than 16 bytes"));

  const Outcome fits = read_whole(head + std::string(16, 'x'), {.max_body = 16, .close = true});
  INFO(fits);
  CHECK(fits.state == State::complete);
  CHECK(fits.body.size() == 16);
}

TEST_CASE("http1: a head longer than max_head_bytes fails, even before its line ends") {
  const Reading small{.max_body = 4096, .max_head = 512};
  const Outcome one_line = read_whole(
      "HTTP/1.1 200 OK\r\nX-Big: " + std::string(600, 'a') + "\r\nContent-Length: 0\r\n\r\n",
      small);
  check_failed_naming(one_line, "");
  CHECK_FALSE(one_line.too_large);

  std::string many = "HTTP/1.1 200 OK\r\n";
  for (int i = 0; i < 100; ++i) many += "X-N: " + std::to_string(i) + "\r\n";
  many += "Content-Length: 0\r\n\r\n";
  check_failed_naming(read_whole(many, small), "");

  // A line that never ends must not be buffered without bound.
  check_failed_naming(read_whole("HTTP/1.1 200 OK\r\nX-Big: " + std::string(1000, 'a'), small), "");
  check_failed_naming(read_whole("HTTP/1.1 200 " + std::string(1000, 'a'), small), "");

  const Outcome under = read_whole(
      "HTTP/1.1 200 OK\r\nX-Big: " + std::string(300, 'a') + "\r\nContent-Length: 0\r\n\r\n",
      small);
  INFO(under);
  CHECK(under.state == State::complete);
}

TEST_CASE("http1: a 9.5 KB IAM token header is read whole") {
  std::string token = "MIIZ";
  while (token.size() < 9728) token += "aB3+/xYz0=";
  const std::string bytes =
      lines({"HTTP/1.1 201 Created\r\n", "X-Subject-Token: ", token, "\r\n",
             "Content-Type: application/json\r\n", "Content-Length: 2\r\n", "\r\n{}"});
  const Outcome whole = read_whole(bytes);
  CHECK(whole.state == State::complete);
  CHECK(whole.status == 201);
  REQUIRE(!whole.headers.empty());
  CHECK(whole.headers[0].first == "X-Subject-Token");
  CHECK(whole.headers[0].second == token);
  CHECK(whole.body == "{}");
  std::vector<std::string_view> bytewise;
  for (std::size_t i = 0; i < bytes.size(); ++i)
    bytewise.push_back(std::string_view(bytes).substr(i, 1));
  CHECK(read_in(bytewise) == whole);
}

TEST_CASE("http1: started() says whether any byte arrived; a close before one fails") {
  Http1ResponseReader reader(false, 4096);
  CHECK(reader.state() == State::reading);
  CHECK_FALSE(reader.started());
  CHECK(reader.feed("") == State::reading);
  CHECK_FALSE(reader.started());
  CHECK(reader.closed() == State::failed);
  CHECK_FALSE(reader.started());
  CHECK_FALSE(reader.error().empty());
  CHECK(clean(reader.error()));
  CHECK_FALSE(reader.reusable());

  Http1ResponseReader one_byte(false, 4096);
  CHECK(one_byte.feed("H") == State::reading);
  CHECK(one_byte.started());
  CHECK(one_byte.closed() == State::failed);
  CHECK(one_byte.started());
}

TEST_CASE("http1: a close in the middle of the head, a Content-Length body or a chunk fails") {
  const char* cut[] = {
      "HTTP/1.1 200 OK\r\nContent-Le",
      "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n",
  };
  for (const char* bytes : cut) {
    CAPTURE(shown(bytes));
    Http1ResponseReader reader(false, 4096);
    CHECK(reader.feed(bytes) == State::reading);
    CHECK(reader.closed() == State::failed);
    CHECK(reader.started());
    CHECK_FALSE(reader.error().empty());
    CHECK(clean(reader.error()));
    CHECK_FALSE(reader.body_too_large());
  }
}

TEST_CASE("http1: a reader that completed or failed stays so") {
  Http1ResponseReader complete(false, 4096);
  CHECK(complete.feed("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok") == State::complete);
  CHECK(complete.closed() == State::complete);
  CHECK(complete.take().body == "ok");

  Http1ResponseReader failed(false, 4096);
  CHECK(failed.feed("ICY 200 OK\r\n\r\n") == State::failed);
  const std::string error = failed.error();
  CHECK(failed.feed("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n") == State::failed);
  CHECK(failed.closed() == State::failed);
  CHECK(failed.error() == error);
}

TEST_CASE("http1: a status line that is not HTTP/1.x NNN fails the response") {
  const char* bad[] = {
      "HTTP/2 200",       "HTTP/2.0 200 OK", "ICY 200 OK",      "HTTP/1.1 20 OK",   "HTTP/1.1 abc",
      "HTTP/1.1 2000 OK", "HTTP/1.1 2x0 OK", "HTTP/1.1200 OK",  "HTTP/1. 200 OK",   "HTTP/1.1",
      "http/1.1 200 OK",  "HTTP/1.1 -20 OK", "HTTP/1.1 000 OK", "HTTP/1.1 099 Low", "<html>",
  };
  for (const char* status_line : bad) {
    const Outcome o = read_whole(std::string(status_line) + "\r\nContent-Length: 0\r\n\r\n");
    INFO(std::string(status_line));
    check_failed_naming(o, "status");
  }
  struct Good {
    const char* status_line;
    int status;
  };
  const Good good[] = {{"HTTP/1.1 200", 200},
                       {"HTTP/1.1 200 ", 200},
                       {"HTTP/1.0 404 Not Found", 404},
                       {"HTTP/1.1 418 I'm a teapot", 418},
                       {"HTTP/1.1 599 Whatever it is", 599}};
  for (const Good& row : good) {
    const Outcome o = read_whole(std::string(row.status_line) + "\r\nContent-Length: 0\r\n\r\n");
    INFO(std::string(row.status_line), " ", o);
    CHECK(o.state == State::complete);
    CHECK(o.status == row.status);
  }
}

TEST_CASE("http1: a Content-Length that is not one number fails the response") {
  const Outcome x = read_whole("HTTP/1.1 200 OK\r\nContent-Length: 12x\r\n\r\n");
  CHECK(x.state == State::failed);
  CHECK(x.error == "malformed HTTP response: Content-Length \"12x\" is not a number");

  const char* bad[] = {"-1", "", "+5", "5 5", "0x10", "1.0", "5,6", "\xff"};
  for (const char* value : bad) {
    CAPTURE(shown(value));
    const Outcome o =
        read_whole(std::string("HTTP/1.1 200 OK\r\nContent-Length: ") + value + "\r\n\r\n12345");
    check_failed_naming(o, "Content-Length");
  }
  const Outcome two =
      read_whole("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n123456");
  check_failed_naming(two, "Content-Length");

  for (const char* huge :
       {"18446744073709551615", "18446744073709551616", "99999999999999999999999999999999999999"}) {
    INFO(std::string(huge));
    const Outcome o =
        read_whole(std::string("HTTP/1.1 200 OK\r\nContent-Length: ") + huge + "\r\n\r\n12345",
                   {.max_body = 4096});
    INFO(o);
    CHECK(o.state == State::failed);
    CHECK((o.too_large || mentions(o.error, "Content-Length")));
    CHECK(clean(o.error));
  }
}

// With no practical cap (SIZE_MAX) the number itself must still be read safely: 2^64 does not wrap
// to 0, and a length nobody could allocate fails the response instead of throwing from feed().
TEST_CASE("http1: a Content-Length past 64 bits fails cleanly even without a practical cap") {
  for (const char* huge :
       {"18446744073709551616", "99999999999999999999", "99999999999999999999999999999999999999"}) {
    INFO(std::string(huge));
    Outcome o;
    CHECK_NOTHROW(
        o = read_whole(std::string("HTTP/1.1 200 OK\r\nContent-Length: ") + huge + "\r\n\r\n12345",
                       {.max_body = SIZE_MAX}));
    INFO(o);
    CHECK(o.state == State::failed);
    CHECK(clean(o.error));
  }
  // 2^64 - 1 is within that cap: the body is awaited, with no allocation of that size up front.
  Outcome o;
  CHECK_NOTHROW(
      o = read_whole("HTTP/1.1 200 OK\r\nContent-Length: 18446744073709551615\r\n\r\n12345",
                     {.max_body = SIZE_MAX}));
  CHECK(o.state == State::reading);
  CHECK(o.error.empty());
}

TEST_CASE("http1: a malformed chunk fails the response, naming the chunk") {
  const std::string head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  const char* bad[] = {
      "zz\r\nhello\r\n0\r\n\r\n",  "\r\nhello\r\n0\r\n\r\n",    "-5\r\nhello\r\n0\r\n\r\n",
      "0x5\r\nhello\r\n0\r\n\r\n", "5\r\nhelloXY\r\n0\r\n\r\n", "5\r\nhello0\r\n\r\n",
  };
  for (const char* body : bad) {
    CAPTURE(shown(body));
    check_failed_naming(read_whole(head + body), "chunk");
  }
  const Outcome huge =
      read_whole(head + "ffffffffffffffffffffffff\r\nx\r\n0\r\n\r\n", {.max_body = 4096});
  INFO(huge);
  CHECK(huge.state == State::failed);
  CHECK((huge.too_large || mentions(huge.error, "chunk")));
  CHECK(clean(huge.error));
}

TEST_CASE("http1: a header line without a colon or with blanks before it fails") {
  const char* bad[] = {
      "X-No-Colon value\r\n", "Content-Length : 5\r\n", "Content-Length\t: 5\r\n",
      "X Space: v\r\n",       ": no name\r\n",
  };
  for (const char* line : bad) {
    CAPTURE(shown(line));
    check_failed_naming(read_whole(std::string("HTTP/1.1 200 OK\r\n") + line + "\r\nhello"),
                        "header");
  }
}

TEST_CASE("http1: hostile bytes in a malformed response are quoted escaped, never raw") {
  using namespace std::string_literals;
  const std::string hostile[] = {
      "\x01\x00\xff\x1b[31mHTTP/1.1 200 OK\x7f\r\n\r\n"s,
      "HTTP/1.1 2\xff\xfe OK\r\n\r\n"s,
      "HTTP/1.1 \x1b]0;pwned\x07\r\n\r\n"s,
      "HTTP/1.1 20\x00 OK\r\n\r\n"s,
      std::string(10000, '\x01') + "\r\n\r\n",
      std::string(10000, '\xff') + "\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 1\x1b[2J\r\n\r\n"s,
      "HTTP/1.1 200 OK\r\nX-\x01\xff: v\r\n\r\n"s,
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\x1b\x00\xc3\r\n"s,
  };
  for (const std::string& bytes : hostile) {
    CAPTURE(shown(bytes.substr(0, 80)));
    const Outcome o = read_whole(bytes);
    INFO(o);
    CHECK(o.state == State::failed);
    CHECK_FALSE(o.error.empty());
    CHECK(clean(o.error));
    CHECK(o.error.size() < 1024);  // quoted short
  }
}

TEST_CASE("http1: a Content-Length among the request's headers is refused: the body decides it") {
  HttpRequest request;
  request.method = "POST";
  request.base_url = "http://127.0.0.1:8080";
  request.path = "/x";
  request.headers = {{"content-length", "99"}};
  request.body = "{}";
  std::string error;
  CHECK_FALSE(http1_request(request, error).has_value());
  CHECK(error == "request header Content-Length is the transport's to write, from the body");
}
