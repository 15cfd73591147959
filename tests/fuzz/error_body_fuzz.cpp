// parse_error_body over arbitrary error responses of SWR, the API gateway and IAM.
#include "fuzz_check.h"
#include "huaweicloud/error_body.h"
#include "model/utf8.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body = swr::fuzz::as_text(data, size);
  const auto error = swr::huaweicloud::parse_error_body(body);
  // Both go into logs and the `code` label of swr_exporter_api_requests_total.
  FUZZ_CHECK(swr::is_valid_utf8(error.code));
  FUZZ_CHECK(swr::is_valid_utf8(error.message));
  // Every byte of the body becomes at most one U+FFFD (3 bytes); a long body is cut short.
  FUZZ_CHECK(error.code.size() + error.message.size() <= body.size() * 3 + 3);
  (void)swr::huaweicloud::is_throttling_code(error.code);
  (void)swr::huaweicloud::is_gateway_auth_code(error.code);
  return 0;
}
