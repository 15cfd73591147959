// content_range_total over arbitrary Content-Range header values.
#include <string>

#include "fuzz_check.h"
#include "huaweicloud/content_range.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view header = swr::fuzz::as_text(data, size);
  const auto total = swr::huaweicloud::content_range_total(header);
  if (!total) return 0;
  FUZZ_CHECK(*total >= 0);
  // The number is what follows the last `/`: its digits, leading zeros aside, end that text.
  FUZZ_CHECK(header.find('/') != std::string_view::npos);
  std::string_view tail = header.substr(header.rfind('/') + 1);
  while (!tail.empty() && (tail.back() == ' ' || tail.back() == '\t')) tail.remove_suffix(1);
  FUZZ_CHECK(tail.ends_with(std::to_string(*total)));
  return 0;
}
