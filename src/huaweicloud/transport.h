// HTTP as the cloud client sees it: plain values in and out, no exceptions, no library types.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "huaweicloud/signer.h"

namespace swr::huaweicloud {

struct HttpRequest {
  std::string method = "GET";
  std::string base_url;  // scheme://host[:port], no trailing slash
  std::string path;      // decoded; each segment is percent-encoded on the wire
  KeyValues query;       // decoded; percent-encoded on the wire exactly as signed
  KeyValues headers;
  std::string body;

  std::string host() const;    // host[:port] from base_url, as the Host header carries it
  std::string target() const;  // encoded path + query, as sent on the request line
  std::optional<std::string> header(std::string_view name) const;  // case-insensitive
};

struct HttpResponse {
  int status = 0;  // 0: no response (see transport_error)
  std::string transport_error;
  KeyValues headers;
  std::string body;
  // The body went past the size cap and was refused: asking again would only fetch it again.
  bool body_too_large = false;
  // What came over the connection: the body as sent (compressed, when the server compressed it)
  // and the head. For the benchmark's bytes on the wire.
  std::size_t wire_body_bytes = 0;
  std::size_t head_bytes = 0;

  std::optional<std::string> header(std::string_view name) const;  // case-insensitive
  // The `code` label of swr_exporter_api_requests_total: the status, or "network".
  std::string code_label() const { return status == 0 ? "network" : std::to_string(status); }
};

struct TransportOptions {
  std::string ca_file;  // added to the system store
  std::chrono::milliseconds timeout{10'000};
  std::size_t max_body_bytes = 32 * 1024 * 1024;
};

// Requests in flight together, driven from one thread: start() them, wait() for their answers.
// One thread wakes for several answers at once instead of one blocked thread per request.
class RequestSet {
 public:
  using Answer = std::pair<std::uint64_t, HttpResponse>;  // the tag given to start()
  virtual ~RequestSet() = default;
  // Sends `request`; its answer comes out of wait() under `tag`.
  virtual void start(std::uint64_t tag, const HttpRequest& request) = 0;
  // The answers complete by now, waiting up to `timeout` for the first while any is in flight.
  // Returns early, possibly with none, when `stop` is requested.
  virtual std::vector<Answer> wait(std::chrono::milliseconds timeout, std::stop_token stop) = 0;
  // Started and not yet returned by wait().
  virtual std::size_t in_flight() const = 0;
};

class Transport {
 public:
  virtual ~Transport() = default;
  virtual HttpResponse send(const HttpRequest& request) = 0;
  // As send(), given up when `stop` is requested before the answer is in: then status 0 and a
  // transport_error that says so. Sent as a set of one.
  HttpResponse send(const HttpRequest& request, std::stop_token stop);
  // A set for requests in flight together; it must not outlive the transport. This default sends
  // each one in start(), blocking.
  virtual std::unique_ptr<RequestSet> request_set();
};

// libcurl underneath, speaking HTTP/1.1, or HTTP/2 where a TLS server offers it: keeps
// connections alive, takes proxies from the environment, asks for compressed bodies and decodes
// them, verifies TLS against the system store plus `ca_file`, caps the (decoded) body, bounds each
// request by `timeout` in total. Only GET, HEAD, PUT and DELETE are sent again when a kept
// connection proves dead before any answer. Its request sets drive their requests together from
// the waiting thread under the same rules, a stop wakes their wait(), and a set reuses the
// connections of the set before it.
std::unique_ptr<Transport> make_curl_transport(TransportOptions options);

}  // namespace swr::huaweicloud
