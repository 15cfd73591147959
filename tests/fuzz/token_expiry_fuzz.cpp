// token_expires_at_us over arbitrary IAM token response bodies.
#include "fuzz_check.h"
#include "huaweicloud/authorizer.h"
#include "model/timestamp.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto expires = swr::huaweicloud::token_expires_at_us(swr::fuzz::as_text(data, size));
  if (!expires) return 0;
  // Renewal arithmetic takes differences of these: they must stay far from overflow.
  FUZZ_CHECK(*expires > -(1LL << 62) && *expires < (1LL << 62));
  return 0;
}
