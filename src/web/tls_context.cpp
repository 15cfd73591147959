#include "web/tls_context.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

namespace swr::web {
namespace {

constexpr std::size_t kMaxPemBytes = 1 << 20;
constexpr std::string_view kSessionContext = "swr-sync-exporter";

// OpenSSL's reason for the last failure on this thread, and a clean error queue after it.
std::string openssl_reason() {
  std::string reason;
  while (const unsigned long code = ERR_get_error()) {
    char text[256];
    ERR_error_string_n(code, text, sizeof text);
    if (!reason.empty()) reason += "; ";
    reason += text;
  }
  return reason.empty() ? "unknown OpenSSL error" : reason;
}

// A PEM source: the file's contents, or the inline text. `key` names the setting used.
struct Pem {
  std::string key;
  std::string text;
  std::string where;  // "/path/cert.pem" or "the inline cert"
};

Result<Pem, TlsSetupError> pem_of(const std::string& file, const std::string& inline_text,
                                  std::string_view name) {
  Pem pem;
  if (!file.empty()) {
    pem.key = "tls_server_config." + std::string(name) + "_file";
    pem.where = file;
    if (const Result<void> read = read_text_file(file, kMaxPemBytes, pem.text); !read) {
      OPENSSL_cleanse(pem.text.data(), pem.text.size());
      return unexpected(TlsSetupError{pem.key, "cannot read " + file + ": " + read.error()});
    }
  } else {
    pem.key = "tls_server_config." + std::string(name);
    pem.where = "the inline " + std::string(name);
    pem.text = inline_text;
  }
  return pem;
}

struct BioDeleter {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
using BioPtr = std::unique_ptr<BIO, BioDeleter>;

BioPtr memory_bio(const std::string& text) {
  return BioPtr(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

// Every certificate of a PEM text, in order.
std::vector<X509*> read_certificates(const std::string& text) {
  std::vector<X509*> out;
  BioPtr bio = memory_bio(text);
  if (!bio) return out;
  while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    out.push_back(cert);
  }
  ERR_clear_error();  // the end of the input reads as an error
  return out;
}

int no_passphrase(char*, int, int, void*) { return 0; }

int version_of(TlsVersion version) {
  switch (version) {
    case TlsVersion::kTls10:
      return TLS1_VERSION;
    case TlsVersion::kTls11:
      return TLS1_1_VERSION;
    case TlsVersion::kTls12:
      return TLS1_2_VERSION;
    case TlsVersion::kTls13:
      return TLS1_3_VERSION;
  }
  return TLS1_2_VERSION;
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) {
    if (!out.empty()) out += ":";
    out += item;
  }
  return out;
}

// The SANs of a certificate as Go's crypto/x509 prints them.
std::vector<std::string> sans_of(X509* cert) {
  std::vector<std::string> out;
  auto* names =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (names == nullptr) return out;
  for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, i);
    switch (name->type) {
      case GEN_DNS:
      case GEN_EMAIL:
      case GEN_URI: {
        const ASN1_IA5STRING* text = name->d.ia5;
        out.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(text)),
                         static_cast<std::size_t>(ASN1_STRING_length(text)));
        break;
      }
      case GEN_IPADD: {
        const unsigned char* ip = ASN1_STRING_get0_data(name->d.ip);
        const int length = ASN1_STRING_length(name->d.ip);
        char text[INET6_ADDRSTRLEN] = {};
        static constexpr unsigned char kV4Mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
        if (length == 4) {
          ::inet_ntop(AF_INET, ip, text, sizeof text);
        } else if (length == 16 && std::memcmp(ip, kV4Mapped, sizeof kV4Mapped) == 0) {
          ::inet_ntop(AF_INET, ip + 12, text, sizeof text);  // Go prints these as IPv4
        } else if (length == 16) {
          ::inet_ntop(AF_INET6, ip, text, sizeof text);
        }
        if (text[0] != '\0') out.emplace_back(text);
        break;
      }
      default:
        break;
    }
  }
  GENERAL_NAMES_free(names);
  return out;
}

}  // namespace

TlsContext::~TlsContext() { SSL_CTX_free(ctx_); }

int TlsContext::verify_client(X509_STORE_CTX* store, void* arg) {
  const auto* self = static_cast<const TlsContext*>(arg);
  if (self->verify_chain_ && X509_verify_cert(store) <= 0) return 0;
  if (self->allowed_sans_) {
    X509* leaf = X509_STORE_CTX_get0_cert(store);
    const std::vector<std::string> sans =
        leaf != nullptr ? sans_of(leaf) : std::vector<std::string>{};
    const auto& allowed = *self->allowed_sans_;
    const bool found = std::any_of(sans.begin(), sans.end(), [&](const std::string& san) {
      return std::find(allowed.begin(), allowed.end(), san) != allowed.end();
    });
    if (!found) {
      X509_STORE_CTX_set_error(store, X509_V_ERR_APPLICATION_VERIFICATION);
      return 0;
    }
  }
  return 1;
}

Result<std::shared_ptr<const TlsContext>, TlsSetupError> TlsContext::create(
    const TlsServerConfig& config) {
  ERR_clear_error();
  std::shared_ptr<TlsContext> self(new TlsContext());
  self->ctx_ = SSL_CTX_new(TLS_server_method());
  SSL_CTX* ctx = self->ctx_;
  if (ctx == nullptr) return unexpected(TlsSetupError{"tls_server_config", openssl_reason()});

  // The certificate, then any chain after it in the same PEM.
  auto cert = pem_of(config.cert_file, config.cert, "cert");
  if (!cert) return unexpected(std::move(cert.error()));
  const Pem& cert_pem = *cert;
  std::vector<X509*> chain = read_certificates(cert_pem.text);
  if (chain.empty()) {
    return unexpected(TlsSetupError{cert_pem.key, cert_pem.where + " holds no PEM certificate"});
  }
  const bool used = SSL_CTX_use_certificate(ctx, chain.front()) == 1;
  X509_free(chain.front());
  for (std::size_t i = 1; i < chain.size(); ++i) {
    if (!used || SSL_CTX_add0_chain_cert(ctx, chain[i]) != 1) X509_free(chain[i]);
  }
  if (!used) {
    return unexpected(TlsSetupError{
        cert_pem.key, "cannot use the certificate in " + cert_pem.where + ": " + openssl_reason()});
  }

  auto key = pem_of(config.key_file, config.key, "key");
  if (!key) return unexpected(std::move(key.error()));
  Pem& key_pem = *key;
  EVP_PKEY* pkey = nullptr;
  {
    BioPtr bio = memory_bio(key_pem.text);
    if (bio) pkey = PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr);
  }
  OPENSSL_cleanse(key_pem.text.data(), key_pem.text.size());
  if (pkey == nullptr) {
    ERR_clear_error();
    return unexpected(TlsSetupError{
        key_pem.key, key_pem.where + " holds no usable PEM private key (an encrypted key "
                                     "is not supported)"});
  }
  const bool key_used = SSL_CTX_use_PrivateKey(ctx, pkey) == 1;
  EVP_PKEY_free(pkey);
  if (!key_used || SSL_CTX_check_private_key(ctx) != 1) {
    ERR_clear_error();
    return unexpected(TlsSetupError{key_pem.key, "the private key in " + key_pem.where +
                                                     " does not match the certificate in " +
                                                     cert_pem.where});
  }

  if (SSL_CTX_set_min_proto_version(ctx, version_of(config.min_version)) != 1 ||
      SSL_CTX_set_max_proto_version(ctx, version_of(config.max_version)) != 1) {
    return unexpected(TlsSetupError{"tls_server_config.min_version", openssl_reason()});
  }
  if (config.min_version < TlsVersion::kTls12) {
    // OpenSSL 3 refuses TLS 1.0 and 1.1 above security level 0 (their signatures use SHA-1).
    SSL_CTX_set_security_level(ctx, 0);
  }
  if (!config.cipher_suites.empty() &&
      SSL_CTX_set_cipher_list(ctx, joined(config.cipher_suites).c_str()) != 1) {
    return unexpected(
        TlsSetupError{"tls_server_config.cipher_suites",
                      "OpenSSL accepts none of the cipher suites: " + openssl_reason()});
  }
  if (!config.curve_preferences.empty() &&
      SSL_CTX_set1_groups_list(ctx, joined(config.curve_preferences).c_str()) != 1) {
    return unexpected(TlsSetupError{"tls_server_config.curve_preferences",
                                    "OpenSSL refuses the curves: " + openssl_reason()});
  }
  std::uint64_t options = SSL_OP_NO_RENEGOTIATION | SSL_OP_IGNORE_UNEXPECTED_EOF;
  if (config.prefer_server_cipher_suites) options |= SSL_OP_CIPHER_SERVER_PREFERENCE;
  SSL_CTX_set_options(ctx, options);
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                            SSL_MODE_RELEASE_BUFFERS);
  // Resuming a session needs a context id when clients are verified.
  SSL_CTX_set_session_id_context(ctx,
                                 reinterpret_cast<const unsigned char*>(kSessionContext.data()),
                                 static_cast<unsigned int>(kSessionContext.size()));

  const bool has_ca = !config.client_ca_file.empty() || !config.client_ca.empty();
  if (has_ca) {
    auto ca = pem_of(config.client_ca_file, config.client_ca, "client_ca");
    if (!ca) return unexpected(std::move(ca.error()));
    const Pem& ca_pem = *ca;
    std::vector<X509*> cas = read_certificates(ca_pem.text);
    if (cas.empty())
      return unexpected(TlsSetupError{ca_pem.key, ca_pem.where + " holds no PEM certificate"});
    X509_STORE* store = SSL_CTX_get_cert_store(ctx);
    STACK_OF(X509_NAME)* names = sk_X509_NAME_new_null();
    bool ok = store != nullptr && names != nullptr;
    for (X509* ca_cert : cas) {
      ok = ok && X509_STORE_add_cert(store, ca_cert) == 1;
      X509_NAME* name = ok ? X509_NAME_dup(X509_get_subject_name(ca_cert)) : nullptr;
      ok = ok && name != nullptr && sk_X509_NAME_push(names, name) > 0;
      if (!ok && name != nullptr) X509_NAME_free(name);
      X509_free(ca_cert);
    }
    if (!ok) {
      sk_X509_NAME_pop_free(names, X509_NAME_free);
      return unexpected(TlsSetupError{
          ca_pem.key, "cannot use the certificates in " + ca_pem.where + ": " + openssl_reason()});
    }
    SSL_CTX_set_client_CA_list(ctx, names);  // named in the request, so clients pick the right one
  }

  int mode = SSL_VERIFY_NONE;
  switch (config.client_auth) {
    case ClientAuth::kNoClientCert:
      break;
    case ClientAuth::kRequestClientCert:
      mode = SSL_VERIFY_PEER;
      break;
    case ClientAuth::kRequireAnyClientCert:
      mode = SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
      break;
    case ClientAuth::kVerifyClientCertIfGiven:
      mode = SSL_VERIFY_PEER;
      self->verify_chain_ = true;
      break;
    case ClientAuth::kRequireAndVerifyClientCert:
      mode = SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
      self->verify_chain_ = true;
      break;
  }
  // Go verifies against the system's roots when no client CA is given; so does this.
  if (self->verify_chain_ && !has_ca) SSL_CTX_set_default_verify_paths(ctx);
  self->allowed_sans_ = config.client_allowed_sans;
  SSL_CTX_set_verify(ctx, mode, nullptr);
  SSL_CTX_set_cert_verify_callback(ctx, &TlsContext::verify_client, self.get());
  ERR_clear_error();
  return std::shared_ptr<const TlsContext>(std::move(self));
}

TlsSession::TlsSession(std::shared_ptr<const TlsContext> context, int fd)
    : context_(std::move(context)) {
  ssl_ = SSL_new(context_->native());
  if (ssl_ != nullptr && SSL_set_fd(ssl_, fd) != 1) {
    SSL_free(ssl_);
    ssl_ = nullptr;
  }
  if (ssl_ != nullptr) SSL_set_accept_state(ssl_);
  ERR_clear_error();
}

TlsSession::~TlsSession() {
  if (ssl_ != nullptr) SSL_free(ssl_);
}

Result<void> TlsSession::handshake(const Wait& wait) {
  if (ssl_ == nullptr) return unexpected("cannot start TLS: " + openssl_reason());
  for (;;) {
    ERR_clear_error();
    errno = 0;
    const int rc = SSL_do_handshake(ssl_);
    if (rc == 1) return {};
    const int error = SSL_get_error(ssl_, rc);
    if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) {
      if (!wait(error == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT)) {
        return unexpected(
            std::string("no handshake within the read timeout, or the server is stopping"));
      }
      continue;
    }
    if (error == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) {
      return unexpected(errno != 0 ? std::string(std::strerror(errno))
                                   : std::string("the client closed the connection"));
    }
    plain_http_request_ = ERR_GET_REASON(ERR_peek_error()) == SSL_R_HTTP_REQUEST;
    std::string reason = openssl_reason();
    const long verify = SSL_get_verify_result(ssl_);
    if (verify != X509_V_OK) {
      reason += " (client certificate: " + std::string(X509_verify_cert_error_string(verify)) + ")";
    }
    return unexpected(std::move(reason));
  }
}

ssize_t TlsSession::read(char* data, std::size_t size, const Wait& wait) {
  if (ssl_ == nullptr) return -1;
  const int length = static_cast<int>(std::min<std::size_t>(size, INT_MAX));
  for (;;) {
    ERR_clear_error();
    const int n = SSL_read(ssl_, data, length);
    if (n > 0) return n;
    const int error = SSL_get_error(ssl_, n);
    if (error == SSL_ERROR_ZERO_RETURN) return 0;
    if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) {
      if (!wait(error == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT)) return -1;
      continue;
    }
    ERR_clear_error();
    return -1;
  }
}

ssize_t TlsSession::write(const char* data, std::size_t size, const Wait& wait) {
  if (ssl_ == nullptr) return -1;
  if (size == 0) return 0;
  const int length = static_cast<int>(std::min<std::size_t>(size, INT_MAX));
  for (;;) {
    ERR_clear_error();
    const int n = SSL_write(ssl_, data, length);
    if (n > 0) return n;
    const int error = SSL_get_error(ssl_, n);
    if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) {
      if (!wait(error == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT)) return -1;
      continue;
    }
    ERR_clear_error();
    return -1;
  }
}

bool TlsSession::has_buffered() const { return ssl_ != nullptr && SSL_pending(ssl_) > 0; }

void TlsSession::close() {
  if (ssl_ == nullptr || !SSL_is_init_finished(ssl_)) return;
  SSL_shutdown(ssl_);
  ERR_clear_error();
}

}  // namespace swr::web
