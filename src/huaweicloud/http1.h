// HTTP/1.1 on the wire, without I/O: the bytes of a request, and a response read as its bytes
// arrive. The transport lets libcurl make the connection (DNS, proxy tunnel, TLS and its
// certificate checks) and speaks HTTP/1.1 over it with these: a full libcurl transfer per
// request cost about twice the CPU of the exchange itself.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "huaweicloud/transport.h"

namespace swr::huaweicloud {

// The request as sent: the request line, `Host` as the request was signed (HttpRequest::host()
// unless the headers carry one), the headers in order, `Content-Length` for a request with a body
// or with any method but GET, then the body. No `Accept-Encoding`: bodies come back as they are.
// Nothing, with `error` saying which part, when the method is not an HTTP token or a header
// name or value would break the message (CR, LF, NUL; a name that is not a token).
std::optional<std::string> http1_request(const HttpRequest& request, std::string& error);

// One response, fed its bytes as they arrive. Lenient where HTTP allows it (bare LF line ends,
// folded header lines, chunk extensions, trailers, 1xx answers before the final one), strict on
// framing: a Content-Length that is not one number, a chunk size that is not hex, a status line
// that is not `HTTP/1.x NNN` fail the response with a message naming what was wrong (the bytes
// quoted short and escaped, never raw).
class Http1ResponseReader {
 public:
  enum class State { reading, complete, failed };
  // The head (status line and headers) may not exceed `max_head_bytes`; the body may not exceed
  // `max_body_bytes` (refused as soon as a Content-Length or chunk size says it will).
  // A response to HEAD has no body whatever its headers say.
  Http1ResponseReader(bool head_request, std::size_t max_body_bytes,
                      std::size_t max_head_bytes = 256 * 1024);

  // Takes the next bytes from the connection. Bytes past the end of the response are left
  // unread and make the connection unfit for another request.
  State feed(std::string_view bytes);
  // The server closed the connection: completes a body that runs to the close, fails the rest.
  State closed();

  State state() const { return state_; }
  // Some byte of the response has arrived. A reused connection closed before that may be retried.
  bool started() const { return started_; }
  // Complete, and the connection may carry the next request: HTTP/1.1 without
  // `Connection: close` (or HTTP/1.0 with `keep-alive`), framed by length or chunks, nothing
  // after it.
  bool reusable() const;
  // Why the response failed, e.g. "malformed HTTP response: Content-Length \"12x\" is not a
  // number" or "response body larger than 1048576 bytes: refused".
  const std::string& error() const { return error_; }
  // The body went past `max_body_bytes`.
  bool body_too_large() const { return body_too_large_; }
  // The complete response (status, headers as sent, body). Once only.
  HttpResponse take() { return std::move(response_); }

 private:
  enum class Part {
    head,
    body_length,
    body_to_close,
    chunk_size,
    chunk_data,
    chunk_end,
    trailers,
    done
  };

  State fail(std::string message);
  State read_head(std::string_view& bytes);
  State end_of_head();
  State read_body(std::string_view& bytes);
  bool take_line(std::string_view& bytes, std::string_view& line);  // false: need more bytes

  bool head_request_;
  std::size_t max_body_bytes_;
  std::size_t max_head_bytes_;
  State state_ = State::reading;
  Part part_ = Part::head;
  bool started_ = false;
  bool keep_alive_ = true;
  bool trailing_bytes_ = false;
  bool body_too_large_ = false;
  std::size_t remaining_ = 0;  // of a Content-Length body or of the current chunk
  std::size_t head_bytes_ = 0;
  std::string line_;  // a line split across feeds
  HttpResponse response_;
  std::string error_;
};

}  // namespace swr::huaweicloud
