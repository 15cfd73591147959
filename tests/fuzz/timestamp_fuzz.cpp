// parse_timestamp_us over arbitrary text, checked against format_timestamp_us.
#include <string>

#include "fuzz_check.h"
#include "model/timestamp.h"

namespace {

// 0000-01-01T00:00:00Z and 10000-01-01T00:00:00Z: the years format_timestamp_us can write in
// four digits. A zone offset can carry a valid input just outside them.
constexpr std::int64_t kYear0Us = -62167219200LL * 1000000;
constexpr std::int64_t kYear10000Us = 253402300800LL * 1000000;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = swr::fuzz::as_text(data, size);
  const auto us = swr::parse_timestamp_us(text);
  if (!us) return 0;
  FUZZ_CHECK(*us >= kYear0Us - 86400LL * 1000000 && *us < kYear10000Us + 86400LL * 1000000);
  if (*us < kYear0Us || *us >= kYear10000Us) return 0;
  // Written back and read again, the same microsecond; so also the same second.
  const std::string formatted = swr::format_timestamp_us(*us);
  FUZZ_CHECK(formatted.size() == 27);
  FUZZ_CHECK(swr::parse_timestamp_us(formatted) == *us);
  const std::string sdk_date = swr::format_sdk_date(*us / 1000000 - (*us % 1000000 < 0 ? 1 : 0));
  FUZZ_CHECK(sdk_date.size() == 16);
  FUZZ_CHECK(formatted.substr(0, 4) == sdk_date.substr(0, 4));
  FUZZ_CHECK(formatted.substr(17, 2) == sdk_date.substr(13, 2));
  return 0;
}
