// parse_retry_after over arbitrary Retry-After header values.
#include "fuzz_check.h"
#include "huaweicloud/retry_policy.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view value = swr::fuzz::as_text(data, size);
  const auto delay = swr::huaweicloud::parse_retry_after(value);
  if (!delay) return 0;
  FUZZ_CHECK(delay->count() >= 0);
  FUZZ_CHECK(delay->count() % 1000 == 0);
  FUZZ_CHECK(delay->count() <= 999'999'999LL * 1000);
  // Delta-seconds only, spaces around them allowed: an HTTP-date or a sign gives nothing.
  FUZZ_CHECK(value.find_first_of("0123456789") != std::string_view::npos);
  FUZZ_CHECK(value.find_first_not_of("0123456789 ") == std::string_view::npos);
  return 0;
}
