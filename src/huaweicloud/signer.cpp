#include "huaweicloud/signer.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include <algorithm>
#include <initializer_list>
#include <iterator>
#include <memory>

#include "huaweicloud/ascii.h"
#include "model/hex.h"

namespace swr::huaweicloud {

namespace {

constexpr std::string_view kAlgorithm = "SDK-HMAC-SHA256";

bool is_unreserved(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == '~';
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = ascii_lower(c);
  return out;
}

// `name` already lower case.
bool equals_lowered(std::string_view text, std::string_view name) {
  if (text.size() != name.size()) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (ascii_lower(text[i]) != name[i]) return false;
  }
  return true;
}

void append_percent_encoded(std::string& out, std::string_view text) {
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (is_unreserved(c)) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(hex_digit_upper(c >> 4));
      out.push_back(hex_digit_upper(c));
    }
  }
}

// canonical_uri(path), appended.
void append_canonical_uri(std::string& out, std::string_view path) {
  const std::size_t begin = out.size();
  std::size_t start = 0;
  for (;;) {
    const std::size_t slash = path.find('/', start);
    append_percent_encoded(
        out, path.substr(start,
                         slash == std::string_view::npos ? std::string_view::npos : slash - start));
    if (slash == std::string_view::npos) break;
    out.push_back('/');
    start = slash + 1;
  }
  if (out.size() == begin || out.back() != '/') out.push_back('/');
  if (out[begin] != '/') out.insert(out.begin() + static_cast<std::ptrdiff_t>(begin), '/');
}

}  // namespace

std::string percent_encode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  append_percent_encoded(out, text);
  return out;
}

std::string canonical_uri(std::string_view path) {
  std::string out;
  append_canonical_uri(out, path);
  return out;
}

std::string canonical_query(const KeyValues& query) {
  std::vector<std::pair<std::string, std::string>> encoded;
  encoded.reserve(query.size());
  for (const auto& [k, v] : query) encoded.emplace_back(percent_encode(k), percent_encode(v));
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [k, v] : encoded) {
    if (!out.empty()) out.push_back('&');
    out += k;
    out.push_back('=');
    out += v;
  }
  return out;
}

std::vector<std::string> signed_header_names(const KeyValues& headers) {
  std::vector<std::string> names;
  for (const auto& [k, v] : headers) {
    if (k.find('_') != std::string::npos) continue;
    names.push_back(lower(k));
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

namespace {

// OpenSSL 3's one-shot SHA256() looks its algorithm up in the provider tables on
// every call (locks and string compares); looked up once here instead.
const EVP_MD* sha256_md() {
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA2-256", nullptr);
  return md;
}

}  // namespace

std::string hex_sha256(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (const EVP_MD* md = sha256_md();
      md && EVP_Digest(data.data(), data.size(), digest, &len, md, nullptr) == 1) {
    return to_hex(digest, len);
  }
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  return to_hex(digest, SHA256_DIGEST_LENGTH);
}

std::string authorization_header(std::string_view access_key, std::string_view secret_key,
                                 const SignableRequest& request) {
  const SigningKey key(secret_key);
  return authorization_header(access_key, key, request.method, request.path, request.query,
                              request.headers, request.body);
}

namespace {

// This thread's SHA-256 context, reset for each use (one allocation per thread, not per hash).
EVP_MD_CTX* thread_digest() {
  struct Free {
    void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
  };
  thread_local const std::unique_ptr<EVP_MD_CTX, Free> ctx(EVP_MD_CTX_new());
  return ctx.get();
}

// SHA-256 of the pieces one after another.
void sha256_of(std::initializer_list<std::string_view> pieces, unsigned char (&out)[32]) {
  EVP_MD_CTX* ctx = thread_digest();
  const EVP_MD* md = sha256_md();
  bool ok = ctx != nullptr && md != nullptr && EVP_DigestInit_ex(ctx, md, nullptr) == 1;
  for (const std::string_view piece : pieces) {
    ok = ok && EVP_DigestUpdate(ctx, piece.data(), piece.size()) == 1;
  }
  unsigned int len = 0;
  if (ok && EVP_DigestFinal_ex(ctx, out, &len) == 1 && len == 32) return;
  std::string whole;  // OpenSSL without its fetched digest: the one-shot call
  for (const std::string_view piece : pieces) whole += piece;
  SHA256(reinterpret_cast<const unsigned char*>(whole.data()), whole.size(), out);
}

std::string_view bytes_of(const unsigned char* data, std::size_t n) {
  return {reinterpret_cast<const char*>(data), n};
}

}  // namespace

SigningKey::SigningKey(std::string_view secret_key) {
  unsigned char block[64] = {};
  if (secret_key.size() > sizeof block) {
    unsigned char digest[32];
    sha256_of({secret_key}, digest);
    std::copy(std::begin(digest), std::end(digest), block);
    OPENSSL_cleanse(digest, sizeof digest);
  } else {
    std::copy(secret_key.begin(), secret_key.end(), block);
  }
  for (std::size_t i = 0; i < sizeof block; ++i) {
    inner_[i] = static_cast<unsigned char>(block[i] ^ 0x36);
    outer_[i] = static_cast<unsigned char>(block[i] ^ 0x5c);
  }
  OPENSSL_cleanse(block, sizeof block);
}

SigningKey::~SigningKey() {
  OPENSSL_cleanse(inner_, sizeof inner_);
  OPENSSL_cleanse(outer_, sizeof outer_);
}

std::string SigningKey::hex_hmac(std::string_view data) const {
  unsigned char inner[32];
  unsigned char mac[32];
  sha256_of({bytes_of(inner_, sizeof inner_), data}, inner);
  sha256_of({bytes_of(outer_, sizeof outer_), bytes_of(inner, sizeof inner)}, mac);
  std::string out;
  out.reserve(64);
  append_hex(out, mac, sizeof mac);
  return out;
}

std::string authorization_header(std::string_view access_key, const SigningKey& key,
                                 std::string_view method, std::string_view path,
                                 const KeyValues& query, const KeyValues& headers,
                                 std::string_view body) {
  // The headers to sign as signed_header_names() picks them, each with the value of its first
  // occurrence, as canonical_request() takes it; and the date of the last X-Sdk-Date.
  struct Signed {
    std::string name;  // lower case
    std::string_view value;
  };
  std::vector<Signed> names;
  names.reserve(headers.size());
  std::string_view sdk_date;
  for (const auto& [k, v] : headers) {
    if (equals_lowered(k, "x-sdk-date")) sdk_date = v;
    if (k.find('_') != std::string::npos) continue;
    names.push_back({lower(k), trim_ows(v)});
  }
  std::stable_sort(names.begin(), names.end(),
                   [](const Signed& a, const Signed& b) { return a.name < b.name; });
  names.erase(std::unique(names.begin(), names.end(),
                          [](const Signed& a, const Signed& b) { return a.name == b.name; }),
              names.end());

  std::string canonical;
  canonical.reserve(256 + path.size() * 3);
  canonical.append(method).push_back('\n');
  append_canonical_uri(canonical, path);
  canonical.push_back('\n');
  if (query.size() == 1) {
    append_percent_encoded(canonical, query.front().first);
    canonical.push_back('=');
    append_percent_encoded(canonical, query.front().second);
  } else if (!query.empty()) {
    canonical += canonical_query(query);
  }
  canonical.push_back('\n');
  for (const Signed& header : names) {
    canonical.append(header.name).append(":").append(header.value).push_back('\n');
  }
  canonical.push_back('\n');
  const std::size_t names_at = canonical.size();
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i) canonical.push_back(';');
    canonical.append(names[i].name);
  }
  const std::size_t names_end = canonical.size();
  canonical.push_back('\n');
  static const std::string kEmptyBodyHash = hex_sha256("");
  if (body.empty()) {
    canonical.append(kEmptyBodyHash);
  } else {
    unsigned char digest[32];
    sha256_of({body}, digest);
    append_hex(canonical, digest, sizeof digest);
  }

  std::string to_sign;
  to_sign.reserve(kAlgorithm.size() + sdk_date.size() + 66);
  to_sign.append(kAlgorithm).append("\n").append(sdk_date).push_back('\n');
  unsigned char digest[32];
  sha256_of({canonical}, digest);
  append_hex(to_sign, digest, sizeof digest);

  std::string out;
  out.reserve(kAlgorithm.size() + access_key.size() + (names_end - names_at) + 110);
  out.append(kAlgorithm).append(" Access=").append(access_key).append(", SignedHeaders=");
  out.append(std::string_view(canonical).substr(names_at, names_end - names_at));
  out.append(", Signature=").append(key.hex_hmac(to_sign));
  return out;
}

std::optional<ParsedAuthorization> parse_authorization(std::string_view header) {
  header = trim_ows(header);
  if (header.substr(0, kAlgorithm.size()) != kAlgorithm) return std::nullopt;
  header.remove_prefix(kAlgorithm.size());
  if (header.empty() || header.front() != ' ') return std::nullopt;
  ParsedAuthorization out;
  bool have_access = false, have_headers = false, have_signature = false;
  while (!header.empty()) {
    const std::size_t comma = header.find(',');
    std::string_view part = trim_ows(header.substr(0, comma));
    header = comma == std::string_view::npos ? std::string_view{} : header.substr(comma + 1);
    const std::size_t eq = part.find('=');
    if (eq == std::string_view::npos) return std::nullopt;
    const std::string_view key = part.substr(0, eq);
    const std::string_view value = part.substr(eq + 1);
    if (key == "Access") {
      out.access_key = std::string(value);
      have_access = true;
    } else if (key == "SignedHeaders") {
      std::size_t start = 0;
      while (start <= value.size()) {
        const std::size_t semi = value.find(';', start);
        const std::size_t end = semi == std::string_view::npos ? value.size() : semi;
        if (end > start) out.signed_headers.emplace_back(value.substr(start, end - start));
        if (semi == std::string_view::npos) break;
        start = semi + 1;
      }
      have_headers = true;
    } else if (key == "Signature") {
      out.signature = std::string(value);
      have_signature = true;
    } else {
      return std::nullopt;
    }
  }
  if (!have_access || !have_headers || !have_signature || out.access_key.empty() ||
      out.signed_headers.empty()) {
    return std::nullopt;
  }
  return out;
}

bool equal_constant_time(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  const std::size_t n = std::min(a.size(), b.size());
  for (std::size_t i = 0; i < n; ++i) {
    diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  }
  return diff == 0;
}

}  // namespace swr::huaweicloud
