// One accepted connection of the web server, as a stream with deadlines: a whole request (line,
// headers and any body) must arrive within the read timeout of its first byte, a whole response
// must leave within the write timeout, the header bytes are capped, and every wait ends the moment
// the server stops (its wake eventfd becomes readable). With TLS the same deadlines bound the
// handshake and every read and write. httplib's request parser reads from it through
// httplib_adapter.cpp; nothing here knows httplib.
#pragma once

#include <sys/socket.h>
#include <sys/types.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "model/result.h"
#include "web/web_server.h"

namespace swr::web {

class TlsContext;
class TlsSession;

class ConnectionStream {
 public:
  using Clock = std::chrono::steady_clock;

  // Neither descriptor is owned. The options must outlive the stream.
  ConnectionStream(int fd, int wake_fd, const WebOptions& options);
  ~ConnectionStream();
  ConnectionStream(const ConnectionStream&) = delete;
  ConnectionStream& operator=(const ConnectionStream&) = delete;

  // Switches the connection to TLS: a handshake bounded by the read timeout and the stop signal.
  // Done, or why not.
  Result<void> start_tls(std::shared_ptr<const TlsContext> context);
  // After a failed handshake, when the client spoke plain HTTP: a 400 in plain text saying so,
  // as Go's server answers, so that a curl of http:// tells what went wrong.
  void answer_plain_http();
  // Sends TLS close_notify when the socket takes it; the caller closes the socket.
  void finish();

  // Waits for the first byte of the next request; false on timeout, stop or error.
  bool wait_for_request(std::chrono::milliseconds idle);
  // Starts the deadlines and the header count of a new request.
  void start_request();
  // Whether the connection may carry another request: its headers were within the cap and no
  // handler asked for it to be closed.
  bool usable() const { return !header_overflow_ && !close_after_response_; }
  void close_after_response() { close_after_response_ = true; }

  // Whether a read would find bytes before the request's deadline.
  bool is_readable() const;
  // Whether the socket takes bytes before the response's deadline (counted from the first call).
  bool is_writable() const;
  // Bytes read (> 0), 0 when the peer closed, -1 on error, deadline, stop or once the headers
  // exceed max_header_bytes.
  ssize_t read(char* data, std::size_t size);
  // Bytes written, 0 when the socket takes none just now, -1 on error, deadline or stop.
  ssize_t write(const char* data, std::size_t size);
  void remote_ip_and_port(std::string& ip, int& port) const;
  void local_ip_and_port(std::string& ip, int& port) const;
  int fd() const { return fd_; }

 private:
  std::size_t buffered() const { return end_ - begin_; }
  Clock::time_point write_deadline() const;
  // Polls the socket together with the stop signal, until the deadline.
  bool wait(short events, Clock::time_point deadline) const;
  // Tracks the end of the header block (CRLF CRLF, or LF LF from lenient clients).
  void scan_headers(const char* data, std::size_t n);

  const int fd_;
  const int wake_fd_;
  const WebOptions& options_;
  std::unique_ptr<TlsSession> tls_;
  std::array<char, 4096> buffer_{};
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
  Clock::time_point read_deadline_ = Clock::now();
  mutable std::optional<Clock::time_point> write_deadline_;
  std::size_t header_bytes_ = 0;
  bool headers_done_ = false;
  std::uint32_t tail_ = 0;
  bool header_overflow_ = false;
  bool close_after_response_ = false;
};

// Parses one request from the stream and answers it (httplib's parser, through the adapter).
// `last` asks for the connection to be closed after the answer; `client_closes` is set when the
// client asked for that. False when the connection is broken.
using RequestProcessor =
    std::function<bool(ConnectionStream& stream, bool last, bool& client_closes)>;

// Serves one accepted connection and closes it: the TLS handshake when the web config enables
// TLS, then up to keep_alive_max_requests requests, the first within read_timeout and each
// further one within keep_alive_timeout, until the client or a handler closes it or `stopping`
// is set. False when the last request failed or the handshake did.
bool serve_connection(int fd, int wake_fd, const WebOptions& options,
                      const std::atomic<bool>& stopping, const RequestProcessor& process);

}  // namespace swr::web
