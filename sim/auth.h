// Who may call the simulated APIs: IAM tokens it issued, and AK/SK signatures checked with the
// exporter's own signer, with the gateway's lockout after repeated failures.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "huaweicloud/signer.h"

namespace swr::sim {

struct TokenInfo {
  std::int64_t issued_us = 0;
  std::int64_t expires_us = 0;
};

class TokenStore {
 public:
  TokenStore(std::int64_t lifetime_us, std::size_t token_size);

  struct Issued {
    std::string token;
    TokenInfo info;
  };
  Issued issue(std::int64_t now_us);
  // The token when it was issued here and is neither expired nor revoked.
  std::optional<TokenInfo> find_live(std::string_view token, std::int64_t now_us) const;
  // Every token issued so far stops working (revocation, or the token_expiry fault).
  void expire_all();

 private:
  std::int64_t lifetime_us_;
  std::size_t token_size_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, TokenInfo> tokens_;
};

// What arrived, decoded: the path and query as the signer wants them (it re-encodes them).
struct ReceivedRequest {
  std::string method;
  std::string path;
  huaweicloud::KeyValues query;
  huaweicloud::KeyValues headers;  // every received header, names as sent
  std::string body;
};

enum class AkSkOutcome { kAccepted, kRejected, kLocked };

struct AkSkResult {
  AkSkOutcome outcome = AkSkOutcome::kRejected;
  std::string reason;  // for the error body; never contains a secret
};

inline constexpr int kLockoutFailures = 5;
inline constexpr std::int64_t kLockoutUs = 5LL * 60 * 1000000;
inline constexpr std::int64_t kMaxClockSkewUs = 15LL * 60 * 1000000;

class AkSkVerifier {
 public:
  AkSkVerifier(std::string access_key, std::string secret_key);

  AkSkResult verify(std::string_view authorization, const ReceivedRequest& request,
                    std::int64_t now_us);
  std::size_t locked_keys(std::int64_t now_us) const;
  // Temporary keys, as the metadata service hands them out: valid with their security token
  // (sent as X-Security-Token and signed) until they expire.
  void add_temporary(std::string access_key, std::string secret_key, std::string security_token,
                     std::int64_t expires_us);
  std::uint64_t lockouts() const;
  void unlock_all();

 private:
  AkSkResult check(const huaweicloud::ParsedAuthorization& auth, const ReceivedRequest& request,
                   std::int64_t now_us) const;

  struct KeyState {
    int consecutive_failures = 0;
    std::int64_t locked_until_us = 0;
  };
  struct Temporary {
    std::string secret_key;
    std::string security_token;
    std::int64_t expires_us;
  };
  std::string access_key_;
  std::string secret_key_;
  std::map<std::string, Temporary> temporary_;  // guarded by mutex_
  mutable std::mutex mutex_;
  std::map<std::string, KeyState> keys_;
  std::uint64_t lockouts_ = 0;
};

// `20200608T023900Z` -> microseconds since the epoch.
std::optional<std::int64_t> parse_sdk_date(std::string_view text);

}  // namespace swr::sim
