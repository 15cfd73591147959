// HTTP basic authentication against bcrypt hashes, as exporter-toolkit does it: unknown users
// cost a bcrypt too, hashes are compared in constant time, and successful checks are remembered
// (by a SHA-256 of user, hash and password; never the password) so that scrapes do not pay for a
// bcrypt each. libxcrypt stays inside basic_auth.cpp.
#pragma once

#include <array>
#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>

namespace swr::web {

struct BasicCredentials {
  std::string user;
  std::string password;
};

// "Basic <base64 of user:password>" (the scheme in any case); nothing when the header is not that.
std::optional<BasicCredentials> parse_basic_authorization(std::string_view header);

// A bcrypt hash exporter-toolkit would accept: $2a$, $2b$ or $2y$, a two-digit cost from 4 to 31,
// then 53 characters of salt and digest.
bool is_bcrypt_hash(std::string_view hash);

// bcrypt of the password with the hash's salt and cost, compared with the hash in constant time.
// False for a password holding a NUL byte or a hash libxcrypt refuses.
bool bcrypt_matches(std::string_view password, std::string_view hash);

class BasicAuthenticator {
 public:
  // Whether the Authorization header names one of `users` with its password. Thread-safe; bcrypt
  // runs one at a time, as it is meant to be expensive.
  bool allows(const std::map<std::string, std::string>& users, std::string_view authorization);

  // Successful checks remembered; for tests.
  std::size_t remembered() const;

  static constexpr std::size_t kMaxRemembered = 100;

 private:
  using Digest = std::array<unsigned char, 32>;

  mutable std::mutex cache_mutex_;
  std::set<Digest> successes_;
  std::mutex bcrypt_mutex_;
};

}  // namespace swr::web
