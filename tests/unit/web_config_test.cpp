// --web.config.file: the YAML tree, the exporter-toolkit schema with FILE:LINE:COL errors, the
// header rule, bcrypt checks, the basic-auth cache, TLS contexts, and reloads on a fake clock.
#include "web/web_config.h"

#include <crypt.h>
#include <doctest/doctest.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <vector>

#include "fake_clock.h"
#include "log/logger.h"
#include "log_capture.h"
#include "self_signed.h"
#include "web/basic_auth.h"
#include "web/live_web_config.h"
#include "web/tls_context.h"
#include "web/yaml_tree.h"

using namespace swr::web;
using namespace std::chrono_literals;

using swr::test::FakeClock;

namespace {

const std::string kPath = "/etc/swr/web.yml";

// A bcrypt hash made here with libxcrypt at the lowest cost, independent of the code under test.
std::string bcrypt_hash(const std::string& password, const char* prefix = "$2b$") {
  char setting[CRYPT_GENSALT_OUTPUT_SIZE];
  REQUIRE(crypt_gensalt_rn(prefix, 5, nullptr, 0, setting, sizeof setting) != nullptr);
  crypt_data data{};
  const char* hash = crypt_rn(password.c_str(), setting, &data, sizeof data);
  REQUIRE(hash != nullptr);
  REQUIRE(hash[0] != '*');
  return hash;
}

WebConfig parse_ok(const std::string& text, const std::string& path = kPath) {
  const WebConfigResult result = parse_web_config(text, path);
  REQUIRE_MESSAGE(result.has_value(), (result ? "" : result.error().to_string()));
  return *result;
}

WebConfigError parse_error(const std::string& text) {
  const WebConfigResult result = parse_web_config(text, kPath);
  REQUIRE_FALSE(result.has_value());
  return result.error();
}

std::string basic(const std::string& user, const std::string& password) {
  const std::string plain = user + ":" + password;
  std::string out(4 * ((plain.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(plain.data()),
                                static_cast<int>(plain.size()));
  out.resize(static_cast<std::size_t>(n));
  return "Basic " + out;
}

using KeyPair = swr::test::PemPair;
using swr::test::self_signed;

class Dir {
 public:
  Dir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "swr-webcfg-XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    path_ = tmpl;
  }
  ~Dir() { std::filesystem::remove_all(path_); }
  std::string write(const std::string& name, const std::string& text) const {
    const std::string file = path_ + "/" + name;
    std::ofstream(file, std::ios::binary | std::ios::trunc) << text;
    return file;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

using swr::test::LogCapture;

}  // namespace

TEST_CASE("yaml tree: nodes, marks, aliases of scalars, limits") {
  const auto parsed = parse_yaml("a: &x 1\nb:\n  - *x\n  - 'two'\nc: {d: ~}\n", {});
  REQUIRE(parsed.has_value());
  const auto& doc = *parsed;
  const YamlNode& root = doc.at(doc.root);
  REQUIRE(root.kind == YamlNode::Kind::kMapping);
  REQUIRE(root.children.size() == 6);
  CHECK(doc.at(root.children[0]).value == "a");
  CHECK(doc.at(root.children[1]).value == "1");
  const YamlNode& list = doc.at(root.children[3]);
  REQUIRE(list.kind == YamlNode::Kind::kSequence);
  REQUIRE(list.children.size() == 2);
  CHECK(doc.at(list.children[0]).value == "1");  // the alias, copied
  CHECK(doc.at(list.children[0]).mark.line == 3);
  CHECK(doc.at(list.children[0]).mark.column == 5);
  CHECK(doc.at(list.children[1]).value == "two");
  CHECK_FALSE(doc.at(list.children[1]).plain);
  const YamlNode& inner = doc.at(root.children[5]);
  CHECK(doc.at(inner.children[1]).is_null());

  for (const char* text : {"", "# only a comment\n", "---\n"}) {
    CAPTURE(text);
    const auto empty = parse_yaml(text, {});
    REQUIRE(empty.has_value());
    const auto& d = *empty;
    CHECK((d.empty() || d.at(d.root).is_null()));
  }

  // Deep nesting fails at the limit, without recursion and without a crash.
  const std::string deep_flow(200000, '[');
  const auto flow = parse_yaml(deep_flow, {});
  REQUIRE_FALSE(flow.has_value());
  CHECK(flow.error().message.find("nested deeper than 32") != std::string::npos);
  std::string deep_block;
  for (int i = 0; i < 100; ++i) deep_block += std::string(static_cast<std::size_t>(i), ' ') + "-\n";
  CHECK_FALSE(parse_yaml(deep_block, {}).has_value());

  YamlLimits small;
  small.max_bytes = 10;
  const auto big = parse_yaml("a: 12345678901", small);
  REQUIRE_FALSE(big.has_value());
  CHECK(big.error().message == "larger than 10 bytes");
}

TEST_CASE("yaml tree: yaml_bool reads YAML 1.1 booleans of plain scalars only") {
  const auto parsed = parse_yaml("[yes, No, TRUE, off, y, 'true', maybe, 1]", {});
  REQUIRE(parsed.has_value());
  const auto& doc = *parsed;
  const auto& items = doc.at(doc.root).children;
  CHECK(yaml_bool(doc.at(items[0])) == true);
  CHECK(yaml_bool(doc.at(items[1])) == false);
  CHECK(yaml_bool(doc.at(items[2])) == true);
  CHECK(yaml_bool(doc.at(items[3])) == false);
  CHECK(yaml_bool(doc.at(items[4])) == true);
  CHECK_FALSE(yaml_bool(doc.at(items[5])).has_value());  // quoted: a string
  CHECK_FALSE(yaml_bool(doc.at(items[6])).has_value());
  CHECK_FALSE(yaml_bool(doc.at(items[7])).has_value());
}

TEST_CASE("web config: every key") {
  const std::string alice = bcrypt_hash("alice-password");
  const std::string bob = bcrypt_hash("bob-password", "$2y$");
  const WebConfig config = parse_ok(
      "tls_server_config:\n"
      "  cert_file: certs/server.pem\n"
      "  key_file: /abs/server.key\n"
      "  client_auth_type: RequireAndVerifyClientCert\n"
      "  client_ca_file: ca.pem\n"
      "  min_version: TLS13\n"
      "  max_version: TLS13\n"
      "  cipher_suites:\n"
      "    - TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384\n"
      "    - TLS_AES_128_GCM_SHA256\n"
      "    - TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256\n"
      "  curve_preferences: [X25519, CurveP384]\n"
      "  prefer_server_cipher_suites: false\n"
      "  client_allowed_sans: [scraper.example, 10.0.0.7]\n"
      "http_server_config:\n"
      "  http2: false\n"
      "  headers:\n"
      "    X-Frame-Options: sameorigin\n"
      "    X-Content-Type-Options: nosniff\n"
      "    Strict-Transport-Security: max-age=31536000\n"
      "    Content-Security-Policy: \"\"\n"
      "basic_auth_users:\n"
      "  alice: " +
      alice + "\n  bob: '" + bob + "'\n");
  const TlsServerConfig& tls = config.tls;
  CHECK(tls.enabled);
  CHECK(tls.cert_file == "/etc/swr/certs/server.pem");  // relative to the file's directory
  CHECK(tls.key_file == "/abs/server.key");
  CHECK(tls.client_ca_file == "/etc/swr/ca.pem");
  CHECK(tls.client_auth == ClientAuth::kRequireAndVerifyClientCert);
  CHECK(tls.min_version == TlsVersion::kTls13);
  CHECK(tls.max_version == TlsVersion::kTls13);
  CHECK(tls.cipher_suites ==
        std::vector<std::string>{"ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-ECDSA-CHACHA20-POLY1305"});
  CHECK(tls.curve_preferences == std::vector<std::string>{"X25519", "P-384"});
  CHECK_FALSE(tls.prefer_server_cipher_suites);
  REQUIRE(tls.client_allowed_sans.has_value());
  CHECK(*tls.client_allowed_sans == std::vector<std::string>{"scraper.example", "10.0.0.7"});
  CHECK_FALSE(config.http.http2);
  CHECK(config.http.http2_set);
  // The blank Content-Security-Policy is left out.
  CHECK(config.http.headers == std::vector<std::pair<std::string, std::string>>{
                                   {"X-Frame-Options", "sameorigin"},
                                   {"X-Content-Type-Options", "nosniff"},
                                   {"Strict-Transport-Security", "max-age=31536000"}});
  CHECK(config.basic_auth_users.size() == 2);
  CHECK(config.basic_auth_users.at("alice") == alice);
  CHECK(config.basic_auth_users.at("bob") == bob);
  CHECK(config.marks.at("tls_server_config.cert_file").line == 2);
  CHECK(config.marks.at("tls_server_config.cert_file").column == 14);

  const WebConfig inline_pem = parse_ok(
      "tls_server_config:\n  cert: |\n    -----BEGIN CERTIFICATE-----\n  key: k\n"
      "  client_ca: c\n  client_auth_type: RequireClientCert\n",
      "web.yml");
  CHECK(inline_pem.tls.cert == "-----BEGIN CERTIFICATE-----\n");
  CHECK(inline_pem.tls.key == "k");
  CHECK(inline_pem.tls.client_auth == ClientAuth::kRequireAnyClientCert);  // the old name
}

TEST_CASE("web config: defaults, and what leaves TLS off") {
  for (const char* text :
       {"", "# nothing\n", "tls_server_config:\nhttp_server_config:\nbasic_auth_users:\n",
        "tls_server_config: {}\n", "tls_server_config:\n  min_version: TLS13\n",
        "tls_server_config:\n  client_auth_type: ''\n",
        "tls_server_config:\n  min_version:\n  max_version: ~\n"}) {
    CAPTURE(text);
    const WebConfig config = parse_ok(text);
    CHECK_FALSE(config.tls.enabled);
    CHECK(config.http.http2);
    CHECK_FALSE(config.http.http2_set);
    CHECK(config.http.headers.empty());
    CHECK(config.basic_auth_users.empty());
  }
  const WebConfig config =
      parse_ok("tls_server_config:\n  cert_file: a\n  key_file: b\n", "web.yml");
  CHECK(config.tls.enabled);
  CHECK(config.tls.cert_file == "a");  // a file in the working directory stays relative
  CHECK(config.tls.min_version == TlsVersion::kTls12);
  CHECK(config.tls.max_version == TlsVersion::kTls13);
  CHECK(config.tls.client_auth == ClientAuth::kNoClientCert);
  CHECK(config.tls.prefer_server_cipher_suites);
  CHECK(config.tls.cipher_suites.empty());
  CHECK_FALSE(config.tls.client_allowed_sans.has_value());
  // Null booleans read as false, as Go's yaml.v2 reads them.
  const WebConfig nulls = parse_ok("http_server_config:\n  http2:\n");
  CHECK_FALSE(nulls.http.http2);
}

TEST_CASE("web config: errors name the line, the column and what is wrong") {
  const std::string tls = "tls_server_config:\n  cert_file: c.pem\n  key_file: k.pem\n";
  struct Row {
    std::string text;
    int line;
    int column;
    std::string message;
  };
  const std::vector<Row> rows = {
      {"tls_server_confg:\n  cert_file: x\n", 1, 1,
       "unknown key tls_server_confg; did you mean `tls_server_config`?"},
      {"web:\n", 1, 1,
       "unknown key web; the keys at the top are tls_server_config, http_server_config, "
       "basic_auth_users"},
      {tls + "  cert_fil: x\n", 4, 3,
       "unknown key tls_server_config.cert_fil; did you mean `cert_file`?"},
      {"http_server_config:\n  http: true\n", 2, 3,
       "unknown key http_server_config.http; did you mean `http2`?"},
      {tls + "  key_file: again.pem\n", 4, 3, "key tls_server_config.key_file is set twice"},
      {tls + "  client_auth_type: RequireAndVerifyClientCerts\n", 4, 21,
       "tls_server_config.client_auth_type: unknown value \"RequireAndVerifyClientCerts\"; did you "
       "mean `RequireAndVerifyClientCert`?"},
      {tls + "  client_auth_type: Sometimes\n", 4, 21,
       "tls_server_config.client_auth_type: unknown value \"Sometimes\"; expected NoClientCert, "
       "RequestClientCert, RequireAnyClientCert, VerifyClientCertIfGiven or "
       "RequireAndVerifyClientCert"},
      {tls + "  min_version: TLS14\n", 4, 16,
       "tls_server_config.min_version: unknown value \"TLS14\"; expected TLS10, TLS11, TLS12 or "
       "TLS13"},
      {tls + "  max_version: SSL3\n", 4, 16,
       "tls_server_config.max_version: unknown value \"SSL3\"; expected TLS10, TLS11, TLS12 or "
       "TLS13"},
      {tls + "  cipher_suites:\n    - TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA265\n", 5, 7,
       "tls_server_config.cipher_suites: unknown cipher suite "
       "\"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA265\"; did you mean "
       "`TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256`?"},
      {tls + "  cipher_suites: [TLS_RSA_WITH_RC4_128_SHA]\n", 4, 19,
       "tls_server_config.cipher_suites: unknown cipher suite \"TLS_RSA_WITH_RC4_128_SHA\""},
      {tls + "  cipher_suites: [TLS_AES_128_GCM_SHA256]\n", 4, 18,
       "tls_server_config.cipher_suites: lists only TLS 1.3 suites"},
      {tls + "  cipher_suites: TLS_AES_128_GCM_SHA256\n", 4, 18,
       "tls_server_config.cipher_suites: expected a list, found a value"},
      {tls + "  curve_preferences: [CurveP257]\n", 4, 23,
       "tls_server_config.curve_preferences: unknown curve \"CurveP257\"; did you mean "
       "`CurveP256`?"},
      {tls + "  prefer_server_cipher_suites: sometimes\n", 4, 32,
       "tls_server_config.prefer_server_cipher_suites: expected true or false"},
      {"http_server_config:\n  http2: \"true\"\n", 2, 10,
       "http_server_config.http2: expected true or false"},
      {tls + "  cert_file: [a, b]\n", 4, 3, "key tls_server_config.cert_file is set twice"},
      {"tls_server_config:\n  cert_file: [a, b]\n", 2, 14,
       "tls_server_config.cert_file: expected a string, found a list"},
      {"tls_server_config:\n  cert_file: c.pem\n", 1, 1,
       "tls_server_config: missing one of key or key_file"},
      {"tls_server_config:\n  key: k\n", 1, 1,
       "tls_server_config: missing one of cert or cert_file"},
      {"tls_server_config:\n  client_auth_type: RequireAndVerifyClientCert\n", 1, 1,
       "tls_server_config: missing one of cert or cert_file"},
      {tls + "  cert: inline\n", 4, 9, "tls_server_config: set cert or cert_file, not both"},
      {tls + "  client_ca_file: ca.pem\n", 4, 19,
       "tls_server_config: a client CA is set, but client_auth_type is NoClientCert"},
      {tls + "  client_auth_type: VerifyClientCertIfGiven\n  client_allowed_sans: [a]\n", 5, 24,
       "tls_server_config.client_allowed_sans requires client_auth_type to be "
       "RequireAnyClientCert or RequireAndVerifyClientCert"},
      {tls + "  min_version: TLS13\n  max_version: TLS12\n", 4, 16,
       "tls_server_config: min_version is above max_version"},
      {"tls_server_config: yes\n", 1, 20, "tls_server_config: expected a mapping, found a value"},
      {"http_server_config:\n  headers:\n    X-Powered-By: swr\n", 3, 5,
       "http_server_config.headers: HTTP header \"X-Powered-By\" can not be configured; the "
       "headers allowed are Strict-Transport-Security, X-Content-Type-Options, X-Frame-Options, "
       "X-XSS-Protection or Content-Security-Policy"},
      {"http_server_config:\n  headers:\n    x-frame-options: deny\n", 3, 5,
       "http_server_config.headers: HTTP header \"x-frame-options\" can not be configured; did "
       "you mean `X-Frame-Options`?"},
      {"http_server_config:\n  headers:\n    X-Frame-Options: DENY\n", 3, 5,
       "http_server_config.headers: invalid value for X-Frame-Options: expected \"deny\" or "
       "\"sameorigin\", got \"DENY\""},
      {"http_server_config:\n  headers: [X-Frame-Options]\n", 2, 12,
       "http_server_config.headers: expected a mapping of header names to values, found a list"},
      {"basic_auth_users:\n  - alice\n", 2, 3,
       "basic_auth_users: expected a mapping of user names to bcrypt hashes, found a list"},
      {"basic_auth_users:\n  alice: $1$abc$def\n", 2, 10,
       "basic_auth_users: the password hash of user \"alice\" is not a bcrypt hash"},
      {"basic_auth_users:\n  alice:\n", 2, 9,
       "basic_auth_users: the password hash of user \"alice\" is not a bcrypt hash"},
      {"rate_limit:\n  burst: 3\n", 1, 1, "rate_limit is not supported by this exporter"},
      {"tls_server_config:\n  cert_file: [\n", 3, 1, "did not find expected node content"},
      {"tls_server_config:\n\tcert_file: x\n", 2, 1, "found character that cannot start any token"},
      {"a: *nothing\n", 1, 4, "the alias *nothing names no anchor before it"},
      {"tls_server_config: &t {cert_file: a}\nhttp_server_config: *t\n", 2, 21,
       "the alias *t refers to a mapping or sequence"},
      {"tls_server_config: !!binary aGVsbG8=\n", 1, 20,
       "the YAML tag tag:yaml.org,2002:binary is not supported"},
      {"tls_server_config: {}\n---\nbasic_auth_users: {}\n", 2, 1, "more than one YAML document"},
      {"just a string\n", 1, 1, "expected a mapping with tls_server_config"},
      {"a: \"\xff\"\n", 1, 5, "invalid leading UTF-8 octet"},
  };
  for (const Row& row : rows) {
    CAPTURE(row.text);
    const WebConfigError error = parse_error(row.text);
    CHECK(error.file == kPath);
    CHECK(error.line == row.line);
    CHECK(error.column == row.column);
    CHECK_MESSAGE(error.message.find(row.message) != std::string::npos, error.message);
    CHECK(error.to_string() == kPath + ":" + std::to_string(error.line) + ":" +
                                   std::to_string(error.column) + ": " + error.message);
  }
}

TEST_CASE("web config: a bad hash, key or password never shows in an error") {
  const std::string secret = "$2b$05$S3CRETS3CRETS3CRETS3CRETS3CRETS3CRETS3CRETS3CRETS3CR";  // 59
  const WebConfigError error = parse_error("basic_auth_users:\n  alice: " + secret + "\n");
  CHECK(error.message.find("S3CRET") == std::string::npos);
  CHECK(error.message.find("alice") != std::string::npos);
  const WebConfigError key_error =
      parse_error("tls_server_config:\n  key: PRIVATEKEYTEXT\n  key_file: k.pem\n  cert: c\n");
  CHECK(key_error.message.find("PRIVATEKEYTEXT") == std::string::npos);
  const WebConfigError typed = parse_error("basic_auth_users:\n  alice: [S3CRET]\n");
  CHECK(typed.message.find("S3CRET") == std::string::npos);
}

TEST_CASE("web config: a file that cannot be read, or is too large") {
  Dir dir;
  const WebConfigResult missing = load_web_config_file(dir.path() + "/nope.yml");
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().to_string() ==
        dir.path() + "/nope.yml: cannot read the web configuration: No such file or directory");
  const WebConfigResult directory = load_web_config_file(dir.path());
  REQUIRE_FALSE(directory.has_value());
  CHECK(directory.error().message.find("not a regular file") != std::string::npos);
  const std::string big = dir.write("big.yml", "# " + std::string(kMaxWebConfigBytes, 'x') + "\n");
  const WebConfigResult too_big = load_web_config_file(big);
  REQUIRE_FALSE(too_big.has_value());
  CHECK(too_big.error().message.find("larger than 1048576 bytes") != std::string::npos);
  const std::string good = dir.write("good.yml",
                                     "tls_server_config:\n  cert_file: c.pem\n"
                                     "  key_file: k.pem\n");
  const WebConfigResult loaded = load_web_config_file(good);
  REQUIRE(loaded.has_value());
  CHECK(loaded->tls.cert_file == dir.path() + "/c.pem");
}

TEST_CASE("check_header: exporter-toolkit's rule") {
  struct Row {
    std::string name;
    std::string value;
    bool allowed;
  };
  const std::vector<Row> rows = {
      {"Strict-Transport-Security", "max-age=63072000; includeSubDomains", true},
      {"X-Content-Type-Options", "nosniff", true},
      {"X-Content-Type-Options", "sniff", false},
      {"X-Frame-Options", "deny", true},
      {"X-Frame-Options", "sameorigin", true},
      {"X-Frame-Options", "allow-from x", false},
      {"X-Frame-Options", "Deny", false},
      {"X-XSS-Protection", "1; mode=block", true},
      {"Content-Security-Policy", "default-src 'self'", true},
      {"Content-Security-Policy", "a\r\nSet-Cookie: x=1", false},
      {"Content-Security-Policy", "tab\tok", true},
      {"Content-Type", "text/html", false},
      {"Set-Cookie", "x=1", false},
      {"strict-transport-security", "max-age=1", false},
      {"", "x", false},
  };
  for (const Row& row : rows) {
    CAPTURE(row.name);
    CAPTURE(row.value);
    CHECK(check_header(row.name, row.value).has_value() == row.allowed);
  }
}

TEST_CASE("bcrypt: hashes made by libxcrypt and by Go's bcrypt") {
  const std::string hash = bcrypt_hash("correct horse");
  CHECK(is_bcrypt_hash(hash));
  CHECK(bcrypt_matches("correct horse", hash));
  CHECK_FALSE(bcrypt_matches("correct horsE", hash));
  CHECK_FALSE(bcrypt_matches("", hash));
  CHECK_FALSE(bcrypt_matches(std::string("correct horse\0x", 15), hash));  // no NUL tricks
  // $2a$ and $2y$ read the same as $2b$ for such passwords.
  std::string a = hash;
  a[2] = 'a';
  CHECK(bcrypt_matches("correct horse", a));
  const std::string y = bcrypt_hash("pw", "$2y$");
  CHECK(y.starts_with("$2y$05$"));
  CHECK(bcrypt_matches("pw", y));
  // exporter-toolkit's own dummy hash, from Go's bcrypt: "fakepassword" at cost 10.
  const std::string go = "$2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi";
  CHECK(is_bcrypt_hash(go));
  CHECK(bcrypt_matches("fakepassword", go));
  CHECK_FALSE(bcrypt_matches("fakepassword2", go));

  for (const std::string& bad :
       {std::string(""), std::string("$2b$05$short"), "$2x$" + hash.substr(4),
        "$2b$03$" + hash.substr(7), "$2b$32$" + hash.substr(7), "$2b$5a$" + hash.substr(7),
        hash.substr(0, 59) + "!", "$1$" + hash.substr(3), hash + "x"}) {
    CAPTURE(bad);
    CHECK_FALSE(is_bcrypt_hash(bad));
  }
  CHECK(is_bcrypt_hash("$2b$31$" + hash.substr(7)));
  CHECK(is_bcrypt_hash("$2a$04$" + hash.substr(7)));
}

TEST_CASE("parse_basic_authorization: as Go's Request.BasicAuth") {
  struct Row {
    std::string header;
    std::optional<std::pair<std::string, std::string>> want;
  };
  const std::vector<Row> rows = {
      {basic("alice", "pw"), std::pair{std::string("alice"), std::string("pw")}},
      {"basic YWxpY2U6cHc=", std::pair{std::string("alice"), std::string("pw")}},
      {"BASIC YWxpY2U6cHc=", std::pair{std::string("alice"), std::string("pw")}},
      {basic("a", "p:w:x"), std::pair{std::string("a"), std::string("p:w:x")}},
      {basic("", ""), std::pair{std::string(""), std::string("")}},
      {"Basic YWxpY2U=", std::nullopt},      // no colon
      {"Basic YWxpY2U6cHc", std::nullopt},   // padding missing
      {"Basic YWxp*2U6cHc=", std::nullopt},  // not base64
      {"Basic YWxpY2U6cHd=", std::nullopt},  // bits after the last byte
      {"Bearer YWxpY2U6cHc=", std::nullopt},
      {"Basic", std::nullopt},
      {"", std::nullopt},
  };
  for (const Row& row : rows) {
    CAPTURE(row.header);
    const auto got = parse_basic_authorization(row.header);
    REQUIRE(got.has_value() == row.want.has_value());
    if (got) {
      CHECK(got->user == row.want->first);
      CHECK(got->password == row.want->second);
    }
  }
}

TEST_CASE("BasicAuthenticator: users, unknown users, and the cache of successes") {
  std::map<std::string, std::string> users = {{"alice", bcrypt_hash("alice-pw")},
                                              {"bob", bcrypt_hash("bob-pw")}};
  BasicAuthenticator auth;
  CHECK(auth.allows(users, basic("alice", "alice-pw")));
  CHECK(auth.remembered() == 1);
  CHECK(auth.allows(users, basic("alice", "alice-pw")));  // from the cache
  CHECK(auth.remembered() == 1);
  CHECK(auth.allows(users, basic("bob", "bob-pw")));
  CHECK(auth.remembered() == 2);
  CHECK_FALSE(auth.allows(users, basic("alice", "bob-pw")));
  CHECK_FALSE(auth.allows(users, basic("carol", "alice-pw")));
  CHECK_FALSE(auth.allows(users, basic("carol", "")));
  CHECK_FALSE(auth.allows(users, ""));
  CHECK_FALSE(auth.allows(users, "Basic !!!"));
  CHECK(auth.remembered() == 2);  // failures are not remembered

  // A new hash for alice: the remembered success was for the old one.
  users["alice"] = bcrypt_hash("new-pw");
  CHECK_FALSE(auth.allows(users, basic("alice", "alice-pw")));
  CHECK(auth.allows(users, basic("alice", "new-pw")));

  // The cache stays bounded.
  std::map<std::string, std::string> many;
  const std::string hash = bcrypt_hash("pw");
  for (int i = 0; i < 120; ++i) many["user" + std::to_string(i)] = hash;
  for (int i = 0; i < 120; ++i) CHECK(auth.allows(many, basic("user" + std::to_string(i), "pw")));
  CHECK(auth.remembered() == BasicAuthenticator::kMaxRemembered);
}

TEST_CASE("TlsContext: certificates and keys, inline or from files; clear errors") {
  Dir dir;
  const KeyPair server = self_signed("server");
  const KeyPair other = self_signed("other");
  const std::string cert = dir.write("cert.pem", server.cert);
  const std::string key = dir.write("key.pem", server.key);

  TlsServerConfig config;
  config.enabled = true;
  config.cert_file = cert;
  config.key_file = key;
  CHECK(TlsContext::create(config).has_value());

  TlsServerConfig inline_config;
  inline_config.enabled = true;
  inline_config.cert = server.cert;
  inline_config.key = server.key;
  inline_config.client_ca = other.cert;
  inline_config.client_auth = ClientAuth::kRequireAndVerifyClientCert;
  inline_config.cipher_suites = {"ECDHE-ECDSA-AES128-GCM-SHA256"};
  inline_config.curve_preferences = {"X25519", "P-256"};
  inline_config.min_version = TlsVersion::kTls10;
  CHECK(TlsContext::create(inline_config).has_value());

  const auto error_of = [](const TlsServerConfig& c) {
    auto result = TlsContext::create(c);
    REQUIRE_FALSE(result.has_value());
    return result.error();
  };
  TlsServerConfig missing = config;
  missing.cert_file = dir.path() + "/none.pem";
  TlsSetupError e = error_of(missing);
  CHECK(e.key == "tls_server_config.cert_file");
  CHECK(e.message == "cannot read " + dir.path() + "/none.pem: No such file or directory");

  TlsServerConfig mismatch = config;
  mismatch.key_file = dir.write("other.key", other.key);
  e = error_of(mismatch);
  CHECK(e.key == "tls_server_config.key_file");
  CHECK(e.message == "the private key in " + dir.path() + "/other.key does not match the " +
                         "certificate in " + cert);

  TlsServerConfig not_pem = config;
  not_pem.cert_file = dir.write("garbage.pem", "hello");
  e = error_of(not_pem);
  CHECK(e.message == dir.path() + "/garbage.pem holds no PEM certificate");

  TlsServerConfig bad_key = config;
  bad_key.key = "-----BEGIN PRIVATE KEY-----\nSECRETSECRET\n-----END PRIVATE KEY-----\n";
  bad_key.key_file.clear();
  e = error_of(bad_key);
  CHECK(e.key == "tls_server_config.key");
  CHECK(e.message.find("the inline key holds no usable PEM private key") == 0);
  CHECK(e.message.find("SECRET") == std::string::npos);

  TlsServerConfig bad_ca = config;
  bad_ca.client_ca_file = dir.write("ca.pem", "not a certificate");
  bad_ca.client_auth = ClientAuth::kRequireAndVerifyClientCert;
  e = error_of(bad_ca);
  CHECK(e.key == "tls_server_config.client_ca_file");
  CHECK(e.message == dir.path() + "/ca.pem holds no PEM certificate");

  TlsServerConfig bad_curve = config;
  bad_curve.curve_preferences = {"P-999"};
  CHECK(error_of(bad_curve).key == "tls_server_config.curve_preferences");
}

TEST_CASE("LiveWebConfig: re-reads changed files at most once a second; keeps the last good") {
  Dir dir;
  LogCapture logs;
  FakeClock clock;
  const std::string one = bcrypt_hash("one");
  const std::string two = bcrypt_hash("two");
  const std::string file = dir.write("web.yml", "basic_auth_users:\n  alice: " + one + "\n");
  auto opened = LiveWebConfig::open(file, clock);
  REQUIRE(opened.has_value());
  auto live = *opened;
  CHECK_FALSE(live->tls());
  const auto first = live->current();
  CHECK(first->config.basic_auth_users.at("alice") == one);
  CHECK(first->tls == nullptr);

  dir.write("web.yml", "basic_auth_users:\n  alice: " + two + "\n  bob: " + two + "\n");
  clock.advance(500ms);
  CHECK(live->current() == first);  // not checked again yet
  clock.advance(500ms);
  const auto second = live->current();
  REQUIRE(second != first);
  CHECK(second->config.basic_auth_users.size() == 2);
  CHECK(logs.text().find("msg=\"web configuration reloaded\"") != std::string::npos);

  clock.advance(1s);
  CHECK(live->current() == second);  // unchanged files: nothing read

  // A broken edit: logged once, with the place; the last good config stays.
  dir.write("web.yml", "basic_auth_users:\n  alice: " + two + "\n  bob: [\n");
  clock.advance(1s);
  CHECK(live->current() == second);
  const std::string log = logs.text();
  CHECK(log.find("level=error") != std::string::npos);
  CHECK(log.find("web configuration not reloaded") != std::string::npos);
  CHECK(log.find(file + ":4:1:") != std::string::npos);
  CHECK(log.find(two) == std::string::npos);  // no hash in the logs
  clock.advance(1s);
  CHECK(live->current() == second);
  CHECK(logs.text() == log);  // the same broken file is not reported again

  // TLS appearing needs a restart.
  const KeyPair server = self_signed("server");
  dir.write("c.pem", server.cert);
  dir.write("k.pem", server.key);
  dir.write("web.yml", "tls_server_config:\n  cert_file: c.pem\n  key_file: k.pem\n");
  clock.advance(1s);
  CHECK(live->current() == second);
  CHECK(logs.text().find("switching between HTTP and HTTPS needs a restart") != std::string::npos);

  // A clock set back still lets the file be checked.
  dir.write("web.yml", "basic_auth_users: {}\n");
  clock.advance(-1h);
  CHECK(live->current()->config.basic_auth_users.empty());
}

TEST_CASE("LiveWebConfig: TLS errors at open name the file, line and setting; certs reload") {
  Dir dir;
  LogCapture logs;
  FakeClock clock;
  const KeyPair first = self_signed("first");
  const KeyPair second = self_signed("second");
  dir.write("c.pem", first.cert);
  dir.write("k.pem", second.key);
  const std::string file =
      dir.write("web.yml", "# TLS\ntls_server_config:\n  cert_file: c.pem\n  key_file: k.pem\n");
  auto failed = LiveWebConfig::open(file, clock);
  REQUIRE_FALSE(failed.has_value());
  CHECK(failed.error().to_string() ==
        file + ":4:13: tls_server_config.key_file: the private key in " + dir.path() +
            "/k.pem does not match the certificate in " + dir.path() + "/c.pem");
  CHECK_FALSE(LiveWebConfig::check(file).has_value());

  dir.write("k.pem", first.key);
  CHECK(LiveWebConfig::check(file).has_value());
  auto opened = LiveWebConfig::open(file, clock);
  REQUIRE(opened.has_value());
  auto live = *opened;
  CHECK(live->tls());
  const auto before = live->current();
  REQUIRE(before->tls != nullptr);

  // A new certificate and key, the web config untouched: a new TLS context.
  dir.write("c.pem", second.cert);
  dir.write("k.pem", second.key);
  clock.advance(1s);
  const auto after = live->current();
  CHECK(after != before);
  CHECK(after->tls != before->tls);

  // A certificate replaced by one the key does not match: the last good context stays.
  dir.write("c.pem", first.cert);
  clock.advance(1s);
  CHECK(live->current() == after);
  CHECK(logs.text().find("does not match the certificate") != std::string::npos);
}
