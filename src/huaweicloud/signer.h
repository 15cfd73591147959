// AK/SK request signing, `SDK-HMAC-SHA256`, as Huawei Cloud's API gateway checks it, in one pass.
// The step-by-step composition of the signing guide is the test oracle
// (tests/common/signer_reference.h): tests/unit/signer_test.cpp pins this signer to it and to the
// published vectors, and tests/sdk has the official SDK's signatures checked by the simulator,
// which verifies with this signer.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace swr::huaweicloud {

using KeyValues = std::vector<std::pair<std::string, std::string>>;

struct SignableRequest {
  std::string method;  // GET, POST, ...
  std::string path;    // decoded path, e.g. /v2/manage/namespaces/org/repos/team$app/sync_job
  KeyValues query;     // decoded names and values, in any order
  KeyValues headers;   // every header to sign, Host and X-Sdk-Date included
  std::string body;
};

// Keeps A-Z a-z 0-9 - _ . ~ and writes everything else as %XX (uppercase hex).
std::string percent_encode(std::string_view text);

// Each segment percent-encoded, always ending in `/` (signed with it, sent without it).
std::string canonical_uri(std::string_view path);
// Names and values encoded, sorted by name (then value), joined with `&`; `name=` when empty.
std::string canonical_query(const KeyValues& query);
// The names that get signed: lowercase, sorted, without names containing `_`.
std::vector<std::string> signed_header_names(const KeyValues& headers);
std::string hex_sha256(std::string_view data);

// The Authorization header value: signs every header of the request (see signed_header_names).
// The request must carry X-Sdk-Date.
std::string authorization_header(std::string_view access_key, std::string_view secret_key,
                                 const SignableRequest& request);

// A secret key made ready for signing many requests: the HMAC-SHA256 key blocks (RFC 2104 ipad
// and opad) are derived once, and wiped when the key goes. Shared read-only between threads.
class SigningKey {
 public:
  explicit SigningKey(std::string_view secret_key);
  ~SigningKey();
  SigningKey(const SigningKey&) = delete;
  SigningKey& operator=(const SigningKey&) = delete;

  // Lowercase hex HMAC-SHA256 of `data` under the key; hex_hmac_sha256(secret_key, data).
  std::string hex_hmac(std::string_view data) const;

 private:
  unsigned char inner_[64];
  unsigned char outer_[64];
};

// authorization_header() for the parts of a request as they lie, nothing copied, written with as
// few allocations as it takes (signing runs once per API request). Same result, pinned by the
// published vectors and by a test comparing the two over varied requests.
std::string authorization_header(std::string_view access_key, const SigningKey& key,
                                 std::string_view method, std::string_view path,
                                 const KeyValues& query, const KeyValues& headers,
                                 std::string_view body);

struct ParsedAuthorization {
  std::string access_key;
  std::vector<std::string> signed_headers;
  std::string signature;
};
// Reads `SDK-HMAC-SHA256 Access=AK, SignedHeaders=a;b, Signature=HEX`.
std::optional<ParsedAuthorization> parse_authorization(std::string_view header);

// Constant-time comparison for signatures.
bool equal_constant_time(std::string_view a, std::string_view b);

}  // namespace swr::huaweicloud
