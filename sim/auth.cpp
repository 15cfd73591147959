#include "auth.h"

#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <optional>
#include <stdexcept>

#include "model/timestamp.h"

namespace swr::sim {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

const std::string* find_header(const huaweicloud::KeyValues& headers, std::string_view name) {
  for (const auto& [k, v] : headers) {
    if (lower(k) == name) return &v;
  }
  return nullptr;
}

bool contains(const std::vector<std::string>& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

constexpr std::size_t kMaxTrackedKeys = 10000;

}  // namespace

TokenStore::TokenStore(std::int64_t lifetime_us, std::size_t token_size)
    : lifetime_us_(lifetime_us), token_size_(std::max<std::size_t>(token_size, 16)) {}

TokenStore::Issued TokenStore::issue(std::int64_t now_us) {
  // Real tokens are base64 of a signed CMS blob, hence the `MII` prefix.
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string random(token_size_ - 3, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(random.data()),
                 static_cast<int>(random.size())) != 1) {
    throw std::runtime_error("RAND_bytes failed");
  }
  Issued out;
  out.token = "MII";
  for (const char c : random) out.token.push_back(kAlphabet[static_cast<unsigned char>(c) & 63]);
  out.info = {now_us, now_us + lifetime_us_};

  std::lock_guard lock(mutex_);
  std::erase_if(tokens_, [&](const auto& entry) { return entry.second.expires_us <= now_us; });
  tokens_.emplace(out.token, out.info);
  return out;
}

std::optional<TokenInfo> TokenStore::find_live(std::string_view token, std::int64_t now_us) const {
  std::lock_guard lock(mutex_);
  const auto it = tokens_.find(std::string(token));
  if (it == tokens_.end() || it->second.expires_us <= now_us) return std::nullopt;
  return it->second;
}

void TokenStore::expire_all() {
  std::lock_guard lock(mutex_);
  tokens_.clear();
}

std::optional<std::int64_t> parse_sdk_date(std::string_view text) {
  if (text.size() != 16 || text[8] != 'T' || text[15] != 'Z') return std::nullopt;
  for (std::size_t i = 0; i < 15; ++i) {
    if (i != 8 && !std::isdigit(static_cast<unsigned char>(text[i]))) return std::nullopt;
  }
  std::string iso;
  iso.append(text.substr(0, 4)).append("-").append(text.substr(4, 2)).append("-");
  iso.append(text.substr(6, 2)).append("T").append(text.substr(9, 2)).append(":");
  iso.append(text.substr(11, 2)).append(":").append(text.substr(13, 2)).append("Z");
  return parse_timestamp_us(iso);
}

AkSkVerifier::AkSkVerifier(std::string access_key, std::string secret_key)
    : access_key_(std::move(access_key)), secret_key_(std::move(secret_key)) {}

AkSkResult AkSkVerifier::check(const huaweicloud::ParsedAuthorization& auth,
                               const ReceivedRequest& request, std::int64_t now_us) const {
  auto reject = [](std::string reason) {
    return AkSkResult{AkSkOutcome::kRejected, std::move(reason)};
  };
  std::string_view secret = secret_key_;
  if (auth.access_key != access_key_) {
    const auto temporary = temporary_.find(auth.access_key);
    if (temporary == temporary_.end()) return reject("unknown access key");
    if (temporary->second.expires_us <= now_us) return reject("the temporary access key expired");
    const std::string* token = find_header(request.headers, "x-security-token");
    if (!token || !huaweicloud::equal_constant_time(*token, temporary->second.security_token)) {
      return reject("a temporary access key needs its X-Security-Token");
    }
    secret = temporary->second.secret_key;
  }
  const std::string* date = find_header(request.headers, "x-sdk-date");
  if (!date) return reject("X-Sdk-Date header is missing");
  if (!contains(auth.signed_headers, "x-sdk-date")) return reject("x-sdk-date is not signed");
  if (!contains(auth.signed_headers, "host")) return reject("host is not signed");
  if (find_header(request.headers, "x-security-token") &&
      !contains(auth.signed_headers, "x-security-token")) {
    return reject("x-security-token is not signed");
  }
  const auto when = parse_sdk_date(*date);
  if (!when) return reject("X-Sdk-Date is not YYYYMMDDTHHMMSSZ");
  if (*when > now_us + kMaxClockSkewUs || *when < now_us - kMaxClockSkewUs) {
    return reject("X-Sdk-Date is more than 15 minutes from the server clock");
  }
  huaweicloud::KeyValues signed_headers;
  for (const std::string& name : auth.signed_headers) {
    const std::string* value = find_header(request.headers, name);
    if (!value) return reject("signed header " + name + " is missing");
    signed_headers.emplace_back(name, *value);
  }
  // The exporter's own signer over exactly the headers the client signed; tests/sdk has the
  // official SDK's signatures checked here, and tests/unit/signer_test.cpp pins the signer to the
  // guide's step-by-step composition and the published vectors.
  const std::optional<huaweicloud::ParsedAuthorization> expected =
      huaweicloud::parse_authorization(huaweicloud::authorization_header(
          auth.access_key, huaweicloud::SigningKey(secret), request.method, request.path,
          request.query, signed_headers, request.body));
  if (!expected || !huaweicloud::equal_constant_time(expected->signature, auth.signature)) {
    return reject("signature mismatch");
  }
  return {AkSkOutcome::kAccepted, ""};
}

AkSkResult AkSkVerifier::verify(std::string_view authorization, const ReceivedRequest& request,
                                std::int64_t now_us) {
  const auto parsed = huaweicloud::parse_authorization(authorization);
  if (!parsed) return {AkSkOutcome::kRejected, "Authorization header is malformed"};

  std::lock_guard lock(mutex_);
  if (keys_.size() >= kMaxTrackedKeys && !keys_.contains(parsed->access_key)) {
    std::erase_if(keys_, [&](const auto& e) { return e.second.locked_until_us <= now_us; });
  }
  KeyState& state = keys_[parsed->access_key];
  if (state.locked_until_us > now_us) {
    const std::int64_t seconds = (state.locked_until_us - now_us + 999999) / 1000000;
    return {AkSkOutcome::kLocked, "the access key is locked after " +
                                      std::to_string(kLockoutFailures) +
                                      " consecutive authentication failures; try again in " +
                                      std::to_string(seconds) + " s"};
  }
  AkSkResult result = check(*parsed, request, now_us);
  if (result.outcome == AkSkOutcome::kAccepted) {
    state.consecutive_failures = 0;
  } else if (++state.consecutive_failures >= kLockoutFailures) {
    state.consecutive_failures = 0;
    state.locked_until_us = now_us + kLockoutUs;
    ++lockouts_;
  }
  return result;
}

void AkSkVerifier::add_temporary(std::string access_key, std::string secret_key,
                                 std::string security_token, std::int64_t expires_us) {
  std::lock_guard lock(mutex_);
  std::erase_if(temporary_,
                [&](const auto& e) { return e.second.expires_us < expires_us - kLockoutUs * 24; });
  temporary_[std::move(access_key)] = {std::move(secret_key), std::move(security_token),
                                       expires_us};
}

std::size_t AkSkVerifier::locked_keys(std::int64_t now_us) const {
  std::lock_guard lock(mutex_);
  return static_cast<std::size_t>(std::count_if(keys_.begin(), keys_.end(), [&](const auto& e) {
    return e.second.locked_until_us > now_us;
  }));
}

std::uint64_t AkSkVerifier::lockouts() const {
  std::lock_guard lock(mutex_);
  return lockouts_;
}

void AkSkVerifier::unlock_all() {
  std::lock_guard lock(mutex_);
  keys_.clear();
}

}  // namespace swr::sim
