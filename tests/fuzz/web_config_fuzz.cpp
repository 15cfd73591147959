// parse_web_config over arbitrary YAML text: libyaml's events into the tree, the tree into the
// exporter-toolkit schema. Nothing is read from disk: certificates are loaded elsewhere.
#include <string>

#include "fuzz_check.h"
#include "web/basic_auth.h"
#include "web/web_config.h"

namespace {

const std::string kPath = "/nonexistent-swr-fuzz/web.yml";

// Lines the text can have: libyaml breaks lines at LF, CR, NEL, LS and PS.
std::size_t max_lines(std::string_view text) {
  std::size_t lines = 1;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    lines += byte == '\n' || byte == '\r' || byte == 0x85 || byte == 0xA8 || byte == 0xA9;
  }
  return lines;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = swr::fuzz::as_text(data, size);
  const swr::web::WebConfigResult result = swr::web::parse_web_config(text, kPath);
  // A config or an error, never both: the Result's shape.
  if (!result) {
    const swr::web::WebConfigError& error = result.error();
    FUZZ_CHECK(error.file == kPath);
    FUZZ_CHECK(!error.message.empty());
    FUZZ_CHECK(error.line >= 0 && error.column >= 0);
    FUZZ_CHECK(static_cast<std::size_t>(error.line) <= max_lines(text) + 1);
    FUZZ_CHECK(error.to_string().starts_with(kPath + ":"));
    return 0;
  }
  const swr::web::WebConfig& config = *result;
  const swr::web::TlsServerConfig& tls = config.tls;
  if (tls.enabled) {
    FUZZ_CHECK(!tls.cert_file.empty() || !tls.cert.empty());
    FUZZ_CHECK(!tls.key_file.empty() || !tls.key.empty());
    FUZZ_CHECK(tls.cert_file.empty() || tls.cert.empty());
    FUZZ_CHECK(tls.min_version <= tls.max_version);
    if (!tls.client_ca_file.empty() || !tls.client_ca.empty()) {
      FUZZ_CHECK(tls.client_auth != swr::web::ClientAuth::kNoClientCert);
    }
  }
  for (const auto& [name, value] : config.http.headers) {
    FUZZ_CHECK(!value.empty());
    FUZZ_CHECK(swr::web::check_header(name, value).has_value());
  }
  for (const auto& [user, hash] : config.basic_auth_users) {
    FUZZ_CHECK(swr::web::is_bcrypt_hash(hash));
  }
  return 0;
}
