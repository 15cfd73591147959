// TLS for the web server, with OpenSSL directly (it stays inside tls_context.cpp): a TlsContext
// is an SSL_CTX built from a web config's tls_server_config; a TlsSession is one connection's TLS
// on a non-blocking socket, waiting through a callback so the caller keeps its deadlines.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "model/result.h"
#include "web/web_config.h"

struct ssl_ctx_st;
struct ssl_st;
struct x509_store_ctx_st;

namespace swr::web {

// Why a TLS context could not be built, and which key of tls_server_config it is about.
struct TlsSetupError {
  std::string key;  // e.g. "tls_server_config.cert_file"
  std::string message;
};

class TlsContext {
 public:
  // Reads the certificate, key and client CAs (files or inline) and applies every setting.
  static Result<std::shared_ptr<const TlsContext>, TlsSetupError> create(
      const TlsServerConfig& config);

  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  ssl_ctx_st* native() const { return ctx_; }

 private:
  TlsContext() = default;
  static int verify_client(x509_store_ctx_st* store, void* arg);

  ssl_ctx_st* ctx_ = nullptr;
  bool verify_chain_ = false;
  std::optional<std::vector<std::string>> allowed_sans_;
};

class TlsSession {
 public:
  // Called when OpenSSL needs the socket readable (POLLIN) or writable (POLLOUT); false gives up
  // (deadline passed, server stopping).
  using Wait = std::function<bool(short events)>;

  // The socket must be non-blocking.
  TlsSession(std::shared_ptr<const TlsContext> context, int fd);
  ~TlsSession();
  TlsSession(const TlsSession&) = delete;
  TlsSession& operator=(const TlsSession&) = delete;

  // Done, or why the handshake failed.
  Result<void> handshake(const Wait& wait);
  // Bytes read (> 0), 0 when the peer closed, -1 on error or when wait() gave up.
  ssize_t read(char* data, std::size_t size, const Wait& wait);
  // Bytes written (> 0, maybe fewer than size), -1 on error or when wait() gave up.
  ssize_t write(const char* data, std::size_t size, const Wait& wait);
  // Decrypted bytes OpenSSL holds that the socket will not signal.
  bool has_buffered() const;
  // Whether the handshake failed because the client spoke plain HTTP.
  bool plain_http_request() const { return plain_http_request_; }
  // Sends close_notify if the socket takes it at once; never waits for the peer's.
  void close();

 private:
  std::shared_ptr<const TlsContext> context_;
  ssl_st* ssl_ = nullptr;
  bool plain_http_request_ = false;
};

}  // namespace swr::web
