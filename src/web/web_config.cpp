#include "web/web_config.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <tuple>

#include "suggest/did_you_mean.h"
#include "web/basic_auth.h"

namespace swr::web {
namespace {

using Keys = std::vector<std::string_view>;

const Keys kTopKeys = {"tls_server_config", "http_server_config", "basic_auth_users"};
const Keys kTlsKeys = {"cert",
                       "key",
                       "client_ca",
                       "cert_file",
                       "key_file",
                       "client_auth_type",
                       "client_ca_file",
                       "cipher_suites",
                       "curve_preferences",
                       "min_version",
                       "max_version",
                       "prefer_server_cipher_suites",
                       "client_allowed_sans"};
const Keys kHttpKeys = {"http2", "headers"};

struct NamedClientAuth {
  using Value = ClientAuth;
  std::string_view name;
  ClientAuth value;
};
constexpr std::array<NamedClientAuth, 6> kClientAuths = {{
    {"NoClientCert", ClientAuth::kNoClientCert},
    {"RequestClientCert", ClientAuth::kRequestClientCert},
    {"RequireAnyClientCert", ClientAuth::kRequireAnyClientCert},
    {"VerifyClientCertIfGiven", ClientAuth::kVerifyClientCertIfGiven},
    {"RequireAndVerifyClientCert", ClientAuth::kRequireAndVerifyClientCert},
    {"RequireClientCert", ClientAuth::kRequireAnyClientCert},  // exporter-toolkit's old name
}};

struct NamedVersion {
  using Value = TlsVersion;
  std::string_view name;
  TlsVersion value;
};
constexpr std::array<NamedVersion, 4> kVersions = {{{"TLS10", TlsVersion::kTls10},
                                                    {"TLS11", TlsVersion::kTls11},
                                                    {"TLS12", TlsVersion::kTls12},
                                                    {"TLS13", TlsVersion::kTls13}}};

// Go's tls.CipherSuites(), the only names exporter-toolkit accepts, with OpenSSL's names. The
// TLS 1.3 suites have none: neither Go nor this exporter lets them be chosen.
struct CipherName {
  std::string_view go;
  std::string_view openssl;  // empty: TLS 1.3
};
constexpr std::array<CipherName, 17> kCiphers = {{
    {"TLS_AES_128_GCM_SHA256", ""},
    {"TLS_AES_256_GCM_SHA384", ""},
    {"TLS_CHACHA20_POLY1305_SHA256", ""},
    {"TLS_RSA_WITH_AES_128_CBC_SHA", "AES128-SHA"},
    {"TLS_RSA_WITH_AES_256_CBC_SHA", "AES256-SHA"},
    {"TLS_RSA_WITH_AES_128_GCM_SHA256", "AES128-GCM-SHA256"},
    {"TLS_RSA_WITH_AES_256_GCM_SHA384", "AES256-GCM-SHA384"},
    {"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "ECDHE-ECDSA-AES128-SHA"},
    {"TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", "ECDHE-ECDSA-AES256-SHA"},
    {"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "ECDHE-RSA-AES128-SHA"},
    {"TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", "ECDHE-RSA-AES256-SHA"},
    {"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256"},
    {"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "ECDHE-ECDSA-AES256-GCM-SHA384"},
    {"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "ECDHE-RSA-AES128-GCM-SHA256"},
    {"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "ECDHE-RSA-AES256-GCM-SHA384"},
    {"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-RSA-CHACHA20-POLY1305"},
    {"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-ECDSA-CHACHA20-POLY1305"},
}};

struct CurveName {
  std::string_view go;
  std::string_view openssl;
};
constexpr std::array<CurveName, 4> kCurves = {
    {{"CurveP256", "P-256"}, {"CurveP384", "P-384"}, {"CurveP521", "P-521"}, {"X25519", "X25519"}}};

// The headers exporter-toolkit lets a web config add, with the values allowed (none: any).
struct AllowedHeader {
  std::string_view name;
  std::vector<std::string_view> values;
};
const std::vector<AllowedHeader>& allowed_headers() {
  static const std::vector<AllowedHeader> headers = {
      {"Strict-Transport-Security", {}},
      {"X-Content-Type-Options", {"nosniff"}},
      {"X-Frame-Options", {"deny", "sameorigin"}},
      {"X-XSS-Protection", {}},
      {"Content-Security-Policy", {}},
  };
  return headers;
}

template <typename Table>
std::string list_names(const Table& table) {
  std::string out;
  for (std::size_t i = 0; i < table.size(); ++i) {
    if (i > 0) out += i + 1 == table.size() ? " or " : ", ";
    out += table[i].name;
  }
  return out;
}

std::string quote(std::string_view text) { return "\"" + std::string(text) + "\""; }

std::string did_you_mean(std::string_view word, const Keys& candidates) {
  if (const auto match = suggest::closest_match(word, candidates)) {
    return "; did you mean `" + *match + "`?";
  }
  return "";
}

std::string_view kind_name(const YamlNode& node) {
  if (node.kind == YamlNode::Kind::kMapping) return "a mapping";
  if (node.kind == YamlNode::Kind::kSequence) return "a list";
  return "a value";
}

struct Failure {
  WebConfigError error;
};

// Walks the YAML tree into a WebConfig, throwing Failure at the first problem.
class Reader {
 public:
  Reader(const YamlDocument& document, std::string path)
      : document_(document), path_(std::move(path)) {
    dir_ = std::filesystem::path(path_).parent_path().string();
  }

  WebConfig read() {
    WebConfig config;
    if (document_.empty() || root().is_null()) return config;
    if (root().kind != YamlNode::Kind::kMapping) {
      fail(root().mark,
           "expected a mapping with tls_server_config, http_server_config or "
           "basic_auth_users, found " +
               std::string(kind_name(root())));
    }
    for_each_field(root(), "", kTopKeys, [&](std::string_view key, const YamlNode& value) {
      if (value.is_null()) return;
      if (key == "tls_server_config") {
        read_tls(value, config);
      } else if (key == "http_server_config") {
        read_http(value, config);
      } else {
        read_users(value, config);
      }
    });
    check_tls(config);
    return config;
  }

 private:
  const YamlNode& root() const { return document_.at(document_.root); }

  [[noreturn]] void fail(const YamlMark& mark, std::string message) const {
    throw Failure{WebConfigError{path_, mark.line, mark.column, std::move(message)}};
  }

  // Calls f(key, value) for each pair of a mapping; unknown and repeated keys are errors, as with
  // Go's yaml.UnmarshalStrict.
  template <typename F>
  void for_each_field(const YamlNode& mapping, std::string_view section, const Keys& known, F&& f) {
    std::vector<std::string> seen;
    for (std::size_t i = 0; i + 1 < mapping.children.size(); i += 2) {
      const YamlNode& key = document_.at(mapping.children[i]);
      const YamlNode& value = document_.at(mapping.children[i + 1]);
      if (key.kind != YamlNode::Kind::kScalar) fail(key.mark, "a key must be a plain name");
      const std::string name = section.empty() ? key.value : std::string(section) + "." + key.value;
      if (section.empty() && key.value == "rate_limit") {
        fail(key.mark,
             "rate_limit is not supported by this exporter; remove it (a reverse proxy "
             "can limit the request rate)");
      }
      if (std::find(known.begin(), known.end(), key.value) == known.end()) {
        std::string message = "unknown key " + name;
        const std::string suggestion = did_you_mean(key.value, known);
        if (!suggestion.empty()) {
          message += suggestion;
        } else {
          message += "; the keys " +
                     (section.empty() ? std::string("at the top") : "of " + std::string(section)) +
                     " are " + join(known);
        }
        fail(key.mark, message);
      }
      if (std::find(seen.begin(), seen.end(), key.value) != seen.end()) {
        fail(key.mark, "key " + name + " is set twice");
      }
      seen.push_back(key.value);
      marks_[name] = value.mark;
      key_marks_[name] = key.mark;
      f(std::string_view(key.value), value);
    }
  }

  static std::string join(const Keys& keys) {
    std::string out;
    for (std::size_t i = 0; i < keys.size(); ++i) {
      if (i > 0) out += ", ";
      out += keys[i];
    }
    return out;
  }

  // Go's yaml.v2 reads any scalar into a string, and null as "".
  std::string string_of(const YamlNode& node, std::string_view name) const {
    if (node.kind != YamlNode::Kind::kScalar) {
      fail(node.mark,
           std::string(name) + ": expected a string, found " + std::string(kind_name(node)));
    }
    return node.is_null() ? std::string() : node.value;
  }

  // Null reads as false, as with yaml.v2.
  bool bool_of(const YamlNode& node, std::string_view name) const {
    if (node.is_null()) return false;
    const auto value = yaml_bool(node);
    if (!value) fail(node.mark, std::string(name) + ": expected true or false");
    return *value;
  }

  // A list of strings; null is an empty list. Calls f(item, node) for each.
  template <typename F>
  void each_string(const YamlNode& node, std::string_view name, F&& f) const {
    if (node.is_null()) return;
    if (node.kind != YamlNode::Kind::kSequence) {
      fail(node.mark,
           std::string(name) + ": expected a list, found " + std::string(kind_name(node)));
    }
    for (const std::size_t child : node.children) {
      const YamlNode& item = document_.at(child);
      f(string_of(item, name), item);
    }
  }

  std::string file_name(const std::string& value) const {
    if (value.empty() || value.front() == '/' || dir_.empty()) return value;
    return dir_ + "/" + value;
  }

  void read_tls(const YamlNode& node, WebConfig& config) {
    if (node.kind != YamlNode::Kind::kMapping) {
      fail(node.mark,
           "tls_server_config: expected a mapping, found " + std::string(kind_name(node)));
    }
    TlsServerConfig& tls = config.tls;
    for_each_field(
        node, "tls_server_config", kTlsKeys, [&](std::string_view key, const YamlNode& value) {
          const std::string name = "tls_server_config." + std::string(key);
          if (key == "cert") {
            tls.cert = string_of(value, name);
          } else if (key == "key") {
            tls.key = string_of(value, name);
          } else if (key == "client_ca") {
            tls.client_ca = string_of(value, name);
          } else if (key == "cert_file") {
            tls.cert_file = file_name(string_of(value, name));
          } else if (key == "key_file") {
            tls.key_file = file_name(string_of(value, name));
          } else if (key == "client_ca_file") {
            tls.client_ca_file = file_name(string_of(value, name));
          } else if (key == "client_auth_type") {
            const std::string text = string_of(value, name);
            client_auth_set_ = !text.empty();
            tls.client_auth = ClientAuth::kNoClientCert;
            if (!text.empty()) tls.client_auth = lookup(kClientAuths, text, value, name, true);
          } else if (value.is_null() && (key == "min_version" || key == "max_version")) {
            return;  // the default
          } else if (key == "min_version") {
            tls.min_version = lookup(kVersions, string_of(value, name), value, name, false);
          } else if (key == "max_version") {
            tls.max_version = lookup(kVersions, string_of(value, name), value, name, false);
          } else if (key == "prefer_server_cipher_suites") {
            tls.prefer_server_cipher_suites = bool_of(value, name);
          } else if (key == "cipher_suites") {
            read_ciphers(value, name, tls);
          } else if (key == "curve_preferences") {
            each_string(value, name, [&](const std::string& curve, const YamlNode& item) {
              const auto found = std::find_if(kCurves.begin(), kCurves.end(),
                                              [&](const CurveName& c) { return c.go == curve; });
              if (found == kCurves.end()) {
                Keys names;
                for (const CurveName& c : kCurves) names.push_back(c.go);
                fail(item.mark, name + ": unknown curve " + quote(curve) +
                                    did_you_mean(curve, names) +
                                    "; expected CurveP256, CurveP384, CurveP521 or X25519");
              }
              tls.curve_preferences.emplace_back(found->openssl);
            });
          } else if (key == "client_allowed_sans") {
            if (value.is_null()) return;
            tls.client_allowed_sans.emplace();
            each_string(value, name, [&](const std::string& san, const YamlNode&) {
              tls.client_allowed_sans->push_back(san);
            });
          }
        });
  }

  void read_ciphers(const YamlNode& value, const std::string& name, TlsServerConfig& tls) {
    std::size_t listed = 0;
    each_string(value, name, [&](const std::string& cipher, const YamlNode& item) {
      const auto found = std::find_if(kCiphers.begin(), kCiphers.end(),
                                      [&](const CipherName& c) { return c.go == cipher; });
      if (found == kCiphers.end()) {
        Keys names;
        for (const CipherName& c : kCiphers) names.push_back(c.go);
        fail(item.mark, name + ": unknown cipher suite " + quote(cipher) +
                            did_you_mean(cipher, names) +
                            "; the names are Go's (crypto/tls CipherSuites()), e.g. "
                            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
      }
      ++listed;
      if (!found->openssl.empty()) tls.cipher_suites.emplace_back(found->openssl);
    });
    if (listed > 0 && tls.cipher_suites.empty()) {
      fail(value.mark, name +
                           ": lists only TLS 1.3 suites, which cannot be chosen (as in Go); "
                           "list TLS 1.2 suites or leave cipher_suites out");
    }
  }

  template <typename Table>
  auto lookup(const Table& table, const std::string& text, const YamlNode& node,
              const std::string& name, bool suggest) const -> typename Table::value_type::Value {
    for (const auto& entry : table) {
      if (entry.name == text) return entry.value;
    }
    Keys names;
    for (const auto& entry : table) {
      if (entry.name != "RequireClientCert") names.push_back(entry.name);  // an old alias
    }
    const std::string suggestion = suggest ? did_you_mean(text, names) : "";
    fail(node.mark, name + ": unknown value " + quote(text) +
                        (suggestion.empty() ? "; expected " + list_names_of(names) : suggestion));
  }

  static std::string list_names_of(const Keys& names) {
    std::string out;
    for (std::size_t i = 0; i < names.size(); ++i) {
      if (i > 0) out += i + 1 == names.size() ? " or " : ", ";
      out += names[i];
    }
    return out;
  }

  void read_http(const YamlNode& node, WebConfig& config) {
    if (node.kind != YamlNode::Kind::kMapping) {
      fail(node.mark,
           "http_server_config: expected a mapping, found " + std::string(kind_name(node)));
    }
    for_each_field(
        node, "http_server_config", kHttpKeys, [&](std::string_view key, const YamlNode& value) {
          if (key == "http2") {
            config.http.http2 = bool_of(value, "http_server_config.http2");
            config.http.http2_set = true;
            return;
          }
          if (value.is_null()) return;
          if (value.kind != YamlNode::Kind::kMapping) {
            fail(value.mark,
                 "http_server_config.headers: expected a mapping of header names to "
                 "values, found " +
                     std::string(kind_name(value)));
          }
          std::vector<std::string> seen;
          for (std::size_t i = 0; i + 1 < value.children.size(); i += 2) {
            const YamlNode& name = document_.at(value.children[i]);
            const YamlNode& text = document_.at(value.children[i + 1]);
            const std::string header = string_of(name, "http_server_config.headers");
            const std::string content = string_of(text, "http_server_config.headers." + header);
            if (std::find(seen.begin(), seen.end(), header) != seen.end()) {
              fail(name.mark, "http_server_config.headers: " + header + " is set twice");
            }
            seen.push_back(header);
            if (const Result<void> allowed = check_header(header, content); !allowed) {
              fail(name.mark, "http_server_config.headers: " + allowed.error());
            }
            if (!content.empty()) config.http.headers.emplace_back(header, content);
          }
        });
  }

  void read_users(const YamlNode& node, WebConfig& config) {
    if (node.kind != YamlNode::Kind::kMapping) {
      fail(node.mark,
           "basic_auth_users: expected a mapping of user names to bcrypt hashes, "
           "found " +
               std::string(kind_name(node)));
    }
    for (std::size_t i = 0; i + 1 < node.children.size(); i += 2) {
      const YamlNode& user_node = document_.at(node.children[i]);
      const YamlNode& hash_node = document_.at(node.children[i + 1]);
      const std::string user = string_of(user_node, "basic_auth_users");
      if (config.basic_auth_users.contains(user)) {
        fail(user_node.mark, "basic_auth_users: user " + quote(user) + " is listed twice");
      }
      // The hash is a secret: no message repeats it.
      if (hash_node.kind != YamlNode::Kind::kScalar || !is_bcrypt_hash(hash_node.value)) {
        fail(hash_node.mark, "basic_auth_users: the password hash of user " + quote(user) +
                                 " is not a bcrypt hash ($2a$, $2b$ or $2y$, cost 4 to 31; "
                                 "`htpasswd -nBC 10 \"\" | tr -d ':\\n'` makes one)");
      }
      config.basic_auth_users.emplace(user, hash_node.value);
    }
  }

  // exporter-toolkit's checks of a TLS config that need no file.
  void check_tls(WebConfig& config) {
    config.marks = std::move(marks_);
    TlsServerConfig& tls = config.tls;
    const auto mark = [&](const std::string& key) {
      const auto found = config.marks.find(key);
      return found == config.marks.end() ? YamlMark{} : found->second;
    };
    tls.enabled = !tls.cert_file.empty() || !tls.cert.empty() || !tls.key_file.empty() ||
                  !tls.key.empty() || !tls.client_ca_file.empty() || !tls.client_ca.empty() ||
                  client_auth_set_;
    if (!tls.enabled) return;
    const YamlMark section = key_marks_["tls_server_config"];
    for (const auto& [file, text, what] :
         {std::tuple{&tls.cert_file, &tls.cert, "cert"}, std::tuple{&tls.key_file, &tls.key, "key"},
          std::tuple{&tls.client_ca_file, &tls.client_ca, "client_ca"}}) {
      if (!file->empty() && !text->empty()) {
        fail(mark("tls_server_config." + std::string(what)),
             "tls_server_config: set " + std::string(what) + " or " + what + "_file, not both");
      }
    }
    if (tls.cert_file.empty() && tls.cert.empty()) {
      fail(section, "tls_server_config: missing one of cert or cert_file");
    }
    if (tls.key_file.empty() && tls.key.empty()) {
      fail(section, "tls_server_config: missing one of key or key_file");
    }
    const bool has_ca = !tls.client_ca_file.empty() || !tls.client_ca.empty();
    if (has_ca && tls.client_auth == ClientAuth::kNoClientCert) {
      fail(mark(tls.client_ca_file.empty() ? "tls_server_config.client_ca"
                                           : "tls_server_config.client_ca_file"),
           "tls_server_config: a client CA is set, but client_auth_type is NoClientCert; set "
           "client_auth_type to RequireAndVerifyClientCert (or VerifyClientCertIfGiven)");
    }
    if (tls.client_allowed_sans && tls.client_auth != ClientAuth::kRequireAnyClientCert &&
        tls.client_auth != ClientAuth::kRequireAndVerifyClientCert) {
      fail(mark("tls_server_config.client_allowed_sans"),
           "tls_server_config.client_allowed_sans requires client_auth_type to be "
           "RequireAnyClientCert or RequireAndVerifyClientCert");
    }
    if (tls.min_version > tls.max_version) {
      fail(mark("tls_server_config.min_version"),
           "tls_server_config: min_version is above max_version");
    }
  }

  const YamlDocument& document_;
  const std::string path_;
  std::string dir_;
  std::map<std::string, YamlMark> marks_;
  std::map<std::string, YamlMark> key_marks_;
  bool client_auth_set_ = false;
};

}  // namespace

std::string WebConfigError::to_string() const {
  if (line <= 0) return file + ": " + message;
  return file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + message;
}

std::string_view to_string(ClientAuth client_auth) {
  for (const NamedClientAuth& entry : kClientAuths) {
    if (entry.value == client_auth) return entry.name;
  }
  return "NoClientCert";
}

Result<void> check_header(std::string_view name, std::string_view value) {
  const auto& headers = allowed_headers();
  const auto found = std::find_if(headers.begin(), headers.end(),
                                  [&](const AllowedHeader& h) { return h.name == name; });
  if (found == headers.end()) {
    Keys names;
    for (const AllowedHeader& h : headers) names.push_back(h.name);
    return unexpected("HTTP header " + quote(name) + " can not be configured" +
                      did_you_mean(name, names) + "; the headers allowed are " +
                      list_names(headers));
  }
  if (std::any_of(value.begin(), value.end(), [](char c) {
        return static_cast<unsigned char>(c) < 0x20 ? c != '\t' : c == 0x7F;
      })) {
    return unexpected("the value of " + std::string(name) + " holds a control character");
  }
  if (!found->values.empty() && !value.empty() &&
      std::find(found->values.begin(), found->values.end(), value) == found->values.end()) {
    std::string expected;
    for (std::size_t i = 0; i < found->values.size(); ++i) {
      if (i > 0) expected += " or ";
      expected += quote(found->values[i]);
    }
    return unexpected("invalid value for " + std::string(name) + ": expected " + expected +
                      ", got " + quote(value));
  }
  return {};
}

WebConfigResult parse_web_config(std::string_view text, const std::string& path) {
  YamlLimits limits;
  limits.max_bytes = kMaxWebConfigBytes;
  auto parsed = parse_yaml(text, limits);
  if (!parsed) {
    const YamlError& error = parsed.error();
    return unexpected(WebConfigError{path, error.mark.line, error.mark.column, error.message});
  }
  try {
    return Reader(*parsed, path).read();
  } catch (const Failure& failure) {
    return unexpected(failure.error);
  }
}

Result<void> read_text_file(const std::string& path, std::size_t max_bytes, std::string& out) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return unexpected(std::string(std::strerror(errno)));
  std::optional<std::string> problem;
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    problem = std::strerror(errno);
  } else if (!S_ISREG(st.st_mode)) {
    problem = "not a regular file";
  } else {
    char buffer[8192];
    for (;;) {
      const ssize_t n = ::read(fd, buffer, sizeof buffer);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        problem = std::strerror(errno);
        break;
      }
      if (n == 0) break;
      out.append(buffer, static_cast<std::size_t>(n));
      if (out.size() > max_bytes) {
        problem = "larger than " + std::to_string(max_bytes) + " bytes";
        break;
      }
    }
  }
  ::close(fd);
  if (problem) return unexpected(std::move(*problem));
  return {};
}

WebConfigResult load_web_config_file(const std::string& path) {
  std::string text;
  if (const Result<void> read = read_text_file(path, kMaxWebConfigBytes, text); !read) {
    return unexpected(
        WebConfigError{path, 0, 0, "cannot read the web configuration: " + read.error()});
  }
  return parse_web_config(text, path);
}

}  // namespace swr::web
