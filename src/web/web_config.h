// The --web.config.file of Prometheus' exporter-toolkit: tls_server_config, http_server_config and
// basic_auth_users, read strictly (an unknown or repeated key is an error) with FILE:LINE:COL
// errors. This is the parsed file only; tls_context.h turns it into TLS and live_web_config.h
// keeps it current.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "model/result.h"
#include "web/yaml_tree.h"

namespace swr::web {

// Go's crypto/tls ClientAuthType, by the names exporter-toolkit accepts.
enum class ClientAuth {
  kNoClientCert,
  kRequestClientCert,           // asked for, not required, not verified
  kRequireAnyClientCert,        // required, not verified
  kVerifyClientCertIfGiven,     // not required, verified when sent
  kRequireAndVerifyClientCert,  // required and verified
};

enum class TlsVersion { kTls10, kTls11, kTls12, kTls13 };

struct TlsServerConfig {
  // Any of cert, key, client CA or client_auth_type set: serve HTTPS (exporter-toolkit's
  // IsEnabled). When set, a certificate and a key are both present.
  bool enabled = false;
  // Files, joined to the web config file's directory when relative; or inline PEM.
  std::string cert_file, key_file, client_ca_file;
  std::string cert, key, client_ca;  // `key` is a secret
  ClientAuth client_auth = ClientAuth::kNoClientCert;
  TlsVersion min_version = TlsVersion::kTls12;
  TlsVersion max_version = TlsVersion::kTls13;
  // OpenSSL names of the TLS 1.2-and-older suites listed, in order; empty: OpenSSL's default. As
  // in Go, TLS 1.3 suites may be listed but are not configurable.
  std::vector<std::string> cipher_suites;
  std::vector<std::string> curve_preferences;  // OpenSSL group names, in order
  bool prefer_server_cipher_suites = true;
  // Present (even empty): the client certificate must carry one of these SANs exactly.
  std::optional<std::vector<std::string>> client_allowed_sans;
};

struct HttpServerConfig {
  bool http2 = true;
  bool http2_set = false;  // written in the file: worth a log line, as only HTTP/1.1 is served
  // Added to every response; checked by check_header(). Blank values are left out.
  std::vector<std::pair<std::string, std::string>> headers;
};

struct WebConfig {
  TlsServerConfig tls;
  HttpServerConfig http;
  std::map<std::string, std::string> basic_auth_users;  // user -> bcrypt hash (a secret)
  // Where each key's value was written ("tls_server_config.cert_file"), for errors found later,
  // such as a certificate that does not load.
  std::map<std::string, YamlMark> marks;
};

struct WebConfigError {
  std::string file;
  int line = 0;  // 0: the error is about the file as a whole
  int column = 0;
  std::string message;  // never holds a password, a hash or a key

  std::string to_string() const;  // FILE:LINE:COL: message
};

using WebConfigResult = Result<WebConfig, WebConfigError>;

// Files larger than this are refused before parsing.
inline constexpr std::size_t kMaxWebConfigBytes = 1 << 20;

// Parses the text as the file at `path` (relative file names resolve against its directory).
// Reads no file: certificates and keys are loaded by tls_context.h.
WebConfigResult parse_web_config(std::string_view text, const std::string& path);
WebConfigResult load_web_config_file(const std::string& path);

// Reads a regular file of at most max_bytes into `out` (into the caller's string, so that it can
// wipe what was read of a key that failed); done, or the reason (strerror, "not a regular file",
// "larger than N bytes").
Result<void> read_text_file(const std::string& path, std::size_t max_bytes, std::string& out);

// exporter-toolkit's rule for http_server_config.headers: only Strict-Transport-Security,
// X-Content-Type-Options (nosniff), X-Frame-Options (deny or sameorigin), X-XSS-Protection and
// Content-Security-Policy, spelt exactly so. Also refuses control characters in the value. Allowed,
// or the reason not.
Result<void> check_header(std::string_view name, std::string_view value);

std::string_view to_string(ClientAuth client_auth);

}  // namespace swr::web
