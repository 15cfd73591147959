#include "huaweicloud/http1.h"

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

#include "huaweicloud/ascii.h"

namespace swr::huaweicloud {

namespace {

// What a length in a header may make us allocate before the bytes arrive: a page of sync jobs in
// one piece, not whatever a lying header says.
constexpr std::size_t kReserveAhead = 1 << 20;

// RFC 9110 tchar: what a method or a header name is made of.
bool is_token(std::string_view text) {
  if (text.empty()) return false;
  for (const char c : text) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

bool breaks_line(std::string_view text) {
  return text.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

// Bytes from the wire as an error message may carry them: at most 60, printable ASCII kept,
// the rest as \xNN.
std::string quoted(std::string_view bytes) {
  constexpr std::size_t kMax = 60;
  std::string out = "\"";
  for (const char c : bytes.substr(0, kMax)) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f && c != '"' && c != '\\') {
      out.push_back(c);
    } else {
      constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 15]);
    }
  }
  if (bytes.size() > kMax) out += "...";
  out.push_back('"');
  return out;
}

// Whether a comma-separated header value lists `token` (case-insensitive).
bool lists(std::string_view value, std::string_view token) {
  while (!value.empty()) {
    const std::size_t comma = value.find(',');
    if (iequals(trim_ows(value.substr(0, comma)), token)) return true;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return false;
}

// A decimal number that fits `limit`; nothing when it is not one or is larger.
std::optional<std::size_t> decimal(std::string_view text, std::size_t limit, bool& too_large) {
  too_large = false;
  if (text.empty()) return std::nullopt;
  std::size_t n = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    if (too_large) continue;  // still checked for being a number
    const auto digit = static_cast<std::size_t>(c - '0');
    if (n > (limit - digit) / 10) {
      too_large = true;  // n * 10 + digit > limit, asked without overflowing
    } else {
      n = n * 10 + digit;
    }
  }
  if (too_large) return std::nullopt;
  return n;
}

}  // namespace

std::optional<std::string> http1_request(const HttpRequest& request, std::string& error) {
  if (!is_token(request.method)) {
    error = "request method " + quoted(request.method) + " is not an HTTP token";
    return std::nullopt;
  }
  bool has_host = false;
  std::size_t size = request.method.size() + request.body.size() + 64;
  for (const auto& [name, value] : request.headers) {
    if (!is_token(name)) {
      error = "request header name " + quoted(name) + " is not an HTTP token";
      return std::nullopt;
    }
    if (breaks_line(value)) {
      error = "request header " + name + " has a line break or NUL in its value";
      return std::nullopt;
    }
    has_host = has_host || iequals(name, "host");
    if (iequals(name, "content-length")) {
      error = "request header Content-Length is the transport's to write, from the body";
      return std::nullopt;
    }
    size += name.size() + value.size() + 4;
  }
  const std::string target = request.target();
  const std::string host = has_host ? std::string() : request.host();
  if (breaks_line(target) || breaks_line(host)) {
    error = "request target or host has a line break or NUL";
    return std::nullopt;
  }
  std::string out;
  out.reserve(size + target.size() + host.size());
  out.append(request.method).append(" ").append(target).append(" HTTP/1.1\r\n");
  if (!has_host) out.append("Host: ").append(host).append("\r\n");
  for (const auto& [name, value] : request.headers) {
    out.append(name).append(": ").append(value).append("\r\n");
  }
  if (request.method != "GET" || !request.body.empty()) {
    out.append("Content-Length: ").append(std::to_string(request.body.size())).append("\r\n");
  }
  out.append("\r\n").append(request.body);
  return out;
}

Http1ResponseReader::Http1ResponseReader(bool head_request, std::size_t max_body_bytes,
                                         std::size_t max_head_bytes)
    : head_request_(head_request),
      max_body_bytes_(max_body_bytes),
      max_head_bytes_(max_head_bytes) {
  response_.headers.reserve(16);
}

Http1ResponseReader::State Http1ResponseReader::fail(std::string message) {
  error_ = std::move(message);
  state_ = State::failed;
  part_ = Part::done;
  keep_alive_ = false;
  return state_;
}

bool Http1ResponseReader::reusable() const {
  return state_ == State::complete && keep_alive_ && !trailing_bytes_;
}

Http1ResponseReader::State Http1ResponseReader::feed(std::string_view bytes) {
  if (!bytes.empty()) started_ = true;
  while (state_ == State::reading && !bytes.empty()) {
    const State state =
        part_ == Part::head || part_ == Part::trailers ? read_head(bytes) : read_body(bytes);
    if (state != State::reading) break;
  }
  if (state_ == State::complete && !bytes.empty()) trailing_bytes_ = true;
  return state_;
}

Http1ResponseReader::State Http1ResponseReader::closed() {
  if (state_ != State::reading) return state_;
  if (part_ == Part::body_to_close) {
    keep_alive_ = false;
    part_ = Part::done;
    state_ = State::complete;
    return state_;
  }
  if (!started_) return fail("connection closed before any response");
  return fail(part_ == Part::head ? "connection closed in the response head"
                                  : "connection closed before the response body was complete");
}

// One line out of `bytes`, the part of it from earlier feeds prepended; false when its end has not
// arrived yet (what there is is kept). The line end (LF or CRLF) is not part of the line.
bool Http1ResponseReader::take_line(std::string_view& bytes, std::string_view& line) {
  const std::size_t lf = bytes.find('\n');
  const std::size_t length = lf == std::string_view::npos ? bytes.size() : lf;
  head_bytes_ += length + (lf == std::string_view::npos ? 0 : 1);
  if (head_bytes_ > max_head_bytes_) return false;
  if (lf == std::string_view::npos) {
    line_.append(bytes);
    bytes = {};
    return false;
  }
  if (line_.empty()) {
    line = bytes.substr(0, lf);
  } else {
    line_.append(bytes.substr(0, lf));
    line = line_;
  }
  bytes.remove_prefix(lf + 1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return true;
}

Http1ResponseReader::State Http1ResponseReader::read_head(std::string_view& bytes) {
  for (;;) {
    std::string_view line;
    const bool whole = take_line(bytes, line);
    if (head_bytes_ > max_head_bytes_) {
      return fail("response head larger than " + std::to_string(max_head_bytes_) +
                  " bytes: refused");
    }
    if (!whole) return state_;
    State state = state_;
    if (part_ == Part::trailers) {
      if (line.empty()) {
        part_ = Part::done;
        state = state_ = State::complete;
      }  // trailer fields are read and dropped
    } else if (response_.status == 0 && line.empty() && head_bytes_ <= 2) {
      // An empty line before the status line (a stray CRLF after the last body): skipped.
    } else if (response_.status == 0) {
      // HTTP/1.x SP 3DIGIT [SP reason]
      const bool ok = line.size() >= 12 && line.starts_with("HTTP/1.") && line[7] >= '0' &&
                      line[7] <= '9' && line[8] == ' ' && line[9] >= '1' && line[9] <= '9' &&
                      line[10] >= '0' && line[10] <= '9' && line[11] >= '0' && line[11] <= '9' &&
                      (line.size() == 12 || line[12] == ' ');
      if (!ok) {
        state = fail("malformed HTTP response: status line " + quoted(line) +
                     " is not \"HTTP/1.x NNN reason\"");
      } else {
        response_.status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
        keep_alive_ = line[7] != '0';  // HTTP/1.0 closes unless it says keep-alive
      }
    } else if (line.empty()) {
      state = end_of_head();
    } else if (line.front() == ' ' || line.front() == '\t') {
      if (response_.headers.empty()) {
        state = fail("malformed HTTP response: a folded header line " + quoted(line) +
                     " with no header before it");
      } else {
        std::string& value = response_.headers.back().second;
        const std::string_view more = trim_ows(line);
        if (!more.empty()) value.append(value.empty() ? "" : " ").append(more);
      }
    } else {
      const std::size_t colon = line.find(':');
      const std::string_view name =
          colon == std::string_view::npos ? std::string_view() : line.substr(0, colon);
      if (!is_token(name)) {
        state = fail("malformed HTTP response: header line " + quoted(line) +
                     " is not \"name: value\"");
      } else {
        response_.headers.emplace_back(std::string(name),
                                       std::string(trim_ows(line.substr(colon + 1))));
      }
    }
    line_.clear();
    if (state != State::reading || part_ != Part::head) return state;
  }
}

// The blank line after the headers: a 1xx answer is dropped and the next head read; for the final
// one the headers say how its body is framed.
Http1ResponseReader::State Http1ResponseReader::end_of_head() {
  head_bytes_ = 0;  // the next head, or the chunk lines, count afresh
  const int status = response_.status;
  if (status >= 100 && status < 200) {
    if (status == 101) return fail("malformed HTTP response: 101 Switching Protocols");
    response_.status = 0;
    response_.headers.clear();
    return state_;
  }
  bool close = false;
  bool keep_alive = false;
  std::optional<std::string_view> last_coding;  // of Transfer-Encoding
  std::vector<std::string_view> lengths;        // Content-Length values, `12, 12` as two
  for (const auto& [name, value] : response_.headers) {
    if (iequals(name, "connection")) {
      close = close || lists(value, "close");
      keep_alive = keep_alive || lists(value, "keep-alive");
    } else if (iequals(name, "transfer-encoding")) {
      const std::size_t comma = value.rfind(',');
      last_coding =
          trim_ows(std::string_view(value).substr(comma == std::string::npos ? 0 : comma + 1));
    } else if (iequals(name, "content-length")) {
      std::string_view rest = value;
      for (;;) {
        const std::size_t comma = rest.find(',');
        lengths.push_back(trim_ows(rest.substr(0, comma)));
        if (comma == std::string_view::npos) break;
        rest.remove_prefix(comma + 1);
      }
    }
  }
  // HTTP/1.1 keeps the connection unless it says close; HTTP/1.0 only when it says keep-alive.
  keep_alive_ = !close && (keep_alive_ || keep_alive);
  if (head_request_ || status == 204 || status == 304) {
    part_ = Part::done;
    return state_ = State::complete;
  }
  if (last_coding) {
    // Chunked frames the body, any other last coding runs it to the close. A Content-Length
    // beside it is ignored, and the connection is not trusted with another request.
    const bool chunked = iequals(*last_coding, "chunked");
    keep_alive_ = keep_alive_ && chunked && lengths.empty();
    part_ = chunked ? Part::chunk_size : Part::body_to_close;
    return state_;
  }
  if (lengths.empty()) {
    keep_alive_ = false;
    part_ = Part::body_to_close;
    return state_;
  }
  std::optional<std::size_t> length;
  for (const std::string_view text : lengths) {
    bool too_large = false;
    const std::optional<std::size_t> n = decimal(text, max_body_bytes_, too_large);
    if (too_large) {
      body_too_large_ = true;
      return fail("response body larger than " + std::to_string(max_body_bytes_) +
                  " bytes: refused");
    }
    if (!n) {
      return fail("malformed HTTP response: Content-Length " + quoted(text) + " is not a number");
    }
    if (length && *length != *n) {
      return fail("malformed HTTP response: two Content-Length values, " + std::to_string(*length) +
                  " and " + std::to_string(*n));
    }
    length = n;
  }
  remaining_ = *length;
  response_.body.reserve(std::min(*length, kReserveAhead));
  part_ = remaining_ == 0 ? Part::done : Part::body_length;
  if (remaining_ == 0) state_ = State::complete;
  return state_;
}

Http1ResponseReader::State Http1ResponseReader::read_body(std::string_view& bytes) {
  const auto append = [this](std::string_view data) {
    if (response_.body.size() + data.size() > max_body_bytes_) {
      body_too_large_ = true;
      fail("response body larger than " + std::to_string(max_body_bytes_) + " bytes: refused");
      return false;
    }
    response_.body.append(data);
    return true;
  };
  switch (part_) {
    case Part::body_length: {
      const std::size_t n = std::min(remaining_, bytes.size());
      if (!append(bytes.substr(0, n))) return state_;
      bytes.remove_prefix(n);
      remaining_ -= n;
      if (remaining_ == 0) {
        part_ = Part::done;
        state_ = State::complete;
      }
      return state_;
    }
    case Part::body_to_close:
      append(bytes);
      bytes = {};
      return state_;
    case Part::chunk_size: {
      std::string_view line;
      const bool whole = take_line(bytes, line);
      if (head_bytes_ > max_head_bytes_) {
        return fail("malformed HTTP response: chunk size line longer than " +
                    std::to_string(max_head_bytes_) + " bytes");
      }
      if (!whole) return state_;
      std::string_view size = trim_ows(line.substr(0, line.find(';')));  // extensions dropped
      std::size_t n = 0;
      bool ok = !size.empty() && size.size() <= 15;
      for (const char c : size) {
        const char l = ascii_lower(c);
        const int digit = c >= '0' && c <= '9' ? c - '0' : l >= 'a' && l <= 'f' ? l - 'a' + 10 : -1;
        if (digit < 0) ok = false;
        n = n * 16 + static_cast<std::size_t>(digit < 0 ? 0 : digit);
      }
      if (!ok) {
        const std::string message = "malformed HTTP response: chunk size " + quoted(line) +
                                    " is not a hex number of at most 15 digits";
        line_.clear();
        return fail(message);
      }
      line_.clear();
      head_bytes_ = 0;
      if (response_.body.size() + n > max_body_bytes_) {
        body_too_large_ = true;
        return fail("response body larger than " + std::to_string(max_body_bytes_) +
                    " bytes: refused");
      }
      remaining_ = n;
      part_ = n == 0 ? Part::trailers : Part::chunk_data;
      response_.body.reserve(response_.body.size() + std::min(n, kReserveAhead));
      return state_;
    }
    case Part::chunk_data: {
      const std::size_t n = std::min(remaining_, bytes.size());
      if (!append(bytes.substr(0, n))) return state_;
      bytes.remove_prefix(n);
      remaining_ -= n;
      if (remaining_ == 0) part_ = Part::chunk_end;
      return state_;
    }
    case Part::chunk_end: {
      // CRLF (or LF) after the chunk's data; the CR may come in one feed and the LF in the next.
      if (line_.empty() && bytes.front() == '\r') {
        line_.push_back('\r');
        bytes.remove_prefix(1);
        if (bytes.empty()) return state_;
      }
      if (bytes.front() != '\n') {
        const std::string message =
            "malformed HTTP response: chunk data not followed by a line end but " +
            quoted(bytes.substr(0, 1));
        return fail(message);
      }
      bytes.remove_prefix(1);
      line_.clear();
      part_ = Part::chunk_size;
      return state_;
    }
    case Part::head:
    case Part::trailers:
    case Part::done:
      break;
  }
  return state_;
}

}  // namespace swr::huaweicloud
