// Puts credentials on SWR requests: an AK/SK signature or an IAM token.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>

#include "huaweicloud/api_observer.h"
#include "huaweicloud/transport.h"
#include "model/clock.h"
#include "model/result.h"

namespace swr::huaweicloud {

// Why credentials could not be put on a request.
struct AuthorizeFailure {
  std::string message;  // e.g. "no IAM token: ..."
  // The identity service refused the credentials, rather than being unreachable or failing: the
  // other requests of the cycle are not sent.
  bool refused = false;
};

class Authorizer {
 public:
  virtual ~Authorizer() = default;
  // Adds the credentials, or says why it could not.
  virtual Result<void, AuthorizeFailure> authorize(HttpRequest& request, std::stop_token stop) = 0;
  // The API refused the token `refused` carried as invalid or expired: drop it, unless another
  // request already got a newer one. True when a retry with fresh credentials may succeed.
  virtual bool invalidate(const HttpRequest& refused) = 0;
  // AK/SK: a refused signature means wrong keys, and retrying risks locking the key pair.
  virtual bool signs_requests() const = 0;
};

struct AkSk {
  std::string access_key;
  std::string secret_key;
  std::string security_token;  // temporary keys only
};

// Signs with SDK-HMAC-SHA256 over content-type, host, x-project-id (when set), x-sdk-date
// (and x-security-token for temporary keys).
std::unique_ptr<Authorizer> make_aksk_authorizer(AkSk keys, std::string project_id,
                                                 const Clock& clock);

struct PasswordIdentity {
  std::string iam_endpoint;
  std::string domain_name;
  std::string user_name;
  std::string password;
  std::string project_name;
};

// Gets IAM tokens with a password, caches them and renews them at 75% of their life; never asks
// IAM again within five minutes of a refused password.
std::unique_ptr<Authorizer> make_password_authorizer(PasswordIdentity identity,
                                                     Transport& transport, ApiObserver& observer,
                                                     Clock& clock);

// Reads the token from a file, again whenever the file changes; asks IAM for its expiry.
std::unique_ptr<Authorizer> make_token_file_authorizer(std::string token_file,
                                                       std::string iam_endpoint,
                                                       Transport& transport, ApiObserver& observer,
                                                       Clock& clock);

// Temporary AK/SK and security token from the metadata service at `endpoint`
// (http://169.254.169.254 on Huawei Cloud), renewed when less than 40 minutes remain.
std::unique_ptr<Authorizer> make_metadata_authorizer(std::string endpoint, std::string project_id,
                                                     Transport& transport, ApiObserver& observer,
                                                     Clock& clock);

// The body of POST /v3/auth/tokens for a password identity with project scope.
std::string password_token_request_body(const PasswordIdentity& identity);
// `token.expires_at` of an IAM token response, in microseconds since the epoch.
std::optional<std::int64_t> token_expires_at_us(std::string_view body);

}  // namespace swr::huaweicloud
