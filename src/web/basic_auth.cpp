#include "web/basic_auth.h"

#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <memory>

namespace swr::web {
namespace {

// Go's base64.StdEncoding: the standard alphabet, padding required; CR and LF are skipped.
std::optional<std::string> decode_base64(std::string_view text) {
  const auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string clean;
  for (const char c : text) {
    if (c != '\r' && c != '\n') clean.push_back(c);
  }
  if (clean.size() % 4 != 0) return std::nullopt;
  std::string out;
  for (std::size_t i = 0; i < clean.size(); i += 4) {
    const bool last = i + 4 == clean.size();
    int padding = 0;
    std::uint32_t group = 0;
    for (std::size_t j = 0; j < 4; ++j) {
      const char c = clean[i + j];
      if (c == '=' && last && j >= 2) {
        ++padding;
        group <<= 6;
        continue;
      }
      const int v = value(c);
      if (v < 0 || padding > 0) return std::nullopt;
      group = (group << 6) | static_cast<std::uint32_t>(v);
    }
    out.push_back(static_cast<char>((group >> 16) & 0xFF));
    if (padding < 2) out.push_back(static_cast<char>((group >> 8) & 0xFF));
    if (padding < 1) out.push_back(static_cast<char>(group & 0xFF));
    // Go rejects bits set beyond the last whole byte.
    if ((padding == 2 && (group & 0xFFFF) != 0) || (padding == 1 && (group & 0xFF) != 0)) {
      return std::nullopt;
    }
  }
  return out;
}

int cost_of(std::string_view hash) { return (hash[4] - '0') * 10 + (hash[5] - '0'); }

// Stands in for the hash of a user that does not exist, so that the bcrypt still runs at the
// configured cost and the answer takes as long as for a real user. Only its salt and cost matter.
std::string dummy_hash(int cost) {
  std::string hash = "$2b$00$KZB1DUm5PsylgbMUVt0wvu3jS5V7kMYt/ibw5ib6kOzB2OFoKVVsm";
  hash[4] = static_cast<char>('0' + cost / 10);
  hash[5] = static_cast<char>('0' + cost % 10);
  return hash;
}

}  // namespace

std::optional<BasicCredentials> parse_basic_authorization(std::string_view header) {
  constexpr std::string_view kPrefix = "basic ";
  if (header.size() < kPrefix.size()) return std::nullopt;
  for (std::size_t i = 0; i < kPrefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(header[i])) != kPrefix[i]) return std::nullopt;
  }
  const auto decoded = decode_base64(header.substr(kPrefix.size()));
  if (!decoded) return std::nullopt;
  const auto colon = decoded->find(':');
  if (colon == std::string::npos) return std::nullopt;
  return BasicCredentials{decoded->substr(0, colon), decoded->substr(colon + 1)};
}

bool is_bcrypt_hash(std::string_view hash) {
  if (hash.size() != 60 || !hash.starts_with("$2") || hash[3] != '$' || hash[6] != '$') {
    return false;
  }
  if (hash[2] != 'a' && hash[2] != 'b' && hash[2] != 'y') return false;
  if (!std::isdigit(static_cast<unsigned char>(hash[4])) ||
      !std::isdigit(static_cast<unsigned char>(hash[5]))) {
    return false;
  }
  const int cost = cost_of(hash);
  if (cost < 4 || cost > 31) return false;
  return std::all_of(hash.begin() + 7, hash.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '/';
  });
}

bool bcrypt_matches(std::string_view password, std::string_view hash) {
  const std::string phrase(password);
  const std::string setting(hash);
  auto data = std::make_unique<crypt_data>();
  const char* out = crypt_rn(phrase.c_str(), setting.c_str(), data.get(), sizeof(crypt_data));
  bool match = false;
  if (out != nullptr && out[0] != '*') {
    const std::string_view computed(out);
    match = computed.size() == hash.size() &&
            CRYPTO_memcmp(computed.data(), hash.data(), hash.size()) == 0;
  }
  OPENSSL_cleanse(data.get(), sizeof(crypt_data));  // it held the key schedule of the password
  return match && password.find('\0') == std::string_view::npos;
}

bool BasicAuthenticator::allows(const std::map<std::string, std::string>& users,
                                std::string_view authorization) {
  const auto credentials = parse_basic_authorization(authorization);
  if (!credentials) return false;
  const auto found = users.find(credentials->user);
  const bool known = found != users.end();
  std::string hash;
  if (known) {
    hash = found->second;
  } else {
    int cost = 0;
    for (const auto& [user, user_hash] : users) {
      if (is_bcrypt_hash(user_hash)) cost = std::max(cost, cost_of(user_hash));
    }
    hash = dummy_hash(cost > 0 ? cost : 10);
  }

  // The key binds user, hash and password, with their lengths so that no two triples collide.
  Digest key{};
  {
    EVP_MD_CTX* md = EVP_MD_CTX_new();
    bool ok = md != nullptr && EVP_DigestInit_ex(md, EVP_sha256(), nullptr) == 1;
    for (const std::string_view part : {std::string_view(credentials->user), std::string_view(hash),
                                        std::string_view(credentials->password)}) {
      const std::uint64_t size = part.size();
      ok = ok && EVP_DigestUpdate(md, &size, sizeof size) == 1 &&
           EVP_DigestUpdate(md, part.data(), part.size()) == 1;
    }
    unsigned int length = 0;
    ok = ok && EVP_DigestFinal_ex(md, key.data(), &length) == 1 && length == key.size();
    EVP_MD_CTX_free(md);
    if (!ok) return false;
  }
  if (known) {
    const std::lock_guard lock(cache_mutex_);
    if (successes_.contains(key)) return true;
  }

  bool match = false;
  {
    const std::lock_guard lock(bcrypt_mutex_);
    match = bcrypt_matches(credentials->password, hash);
  }
  if (!known || !match) return false;
  const std::lock_guard lock(cache_mutex_);
  // Digests are uniformly spread, so dropping the smallest is as good as dropping a random one.
  if (successes_.size() >= kMaxRemembered) successes_.erase(successes_.begin());
  successes_.insert(key);
  return true;
}

std::size_t BasicAuthenticator::remembered() const {
  const std::lock_guard lock(cache_mutex_);
  return successes_.size();
}

}  // namespace swr::web
