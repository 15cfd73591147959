// SWR, API-gateway and IAM error bodies -> one code and one message.
#pragma once

#include <string>
#include <string_view>

namespace swr::huaweicloud {

struct ApiErrorBody {
  std::string code;     // e.g. SVCSTG.SWR.4010000, APIG.0308; empty when none could be read
  std::string message;  // the API's message, or the raw body cut short
};

// Reads, in order: the current SWR object (`error_code`/`error_msg`, with the old `errors[]`
// inside), the older top-level array (`errorCode`/`errorMessage`), the API gateway object
// (`error_code`/`error_msg`/`request_id`), IAM's `{"error":{"code","message"}}`. Anything else
// gives the raw body, cut to 200 bytes and made valid UTF-8, as the message.
ApiErrorBody parse_error_body(std::string_view body);

// APIG.0308 / APIGW.0308: the gateway's throttling threshold.
bool is_throttling_code(std::string_view code);
// APIG(W).0301 and friends: the AK/SK signature or credentials were refused.
bool is_gateway_auth_code(std::string_view code);
// Whether an SWR answer says the credentials themselves are bad (swr_exporter_credentials_refused),
// not that they lack a permission: any 401 (SWR documents 401 as "authentication failed / token
// expired"; the gateway answers APIG(W).03xx with it), and a 403 only with the gateway's
// authentication codes APIG(W).03xx (not its throttling APIG(W).0308) or an IAM.xxxx code. A 403
// with SWR's own code (SVCSTG.SWR.403xxxx: no permission on this organization or repository) or
// with no code says nothing of the credentials.
bool is_credentials_refusal(int status, std::string_view code);

}  // namespace swr::huaweicloud
