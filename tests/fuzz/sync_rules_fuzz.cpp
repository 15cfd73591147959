// parse_sync_rule_details over arbitrary sync_repo bodies: the rules become label values of
// swr_sync_rule_info.
#include "fuzz_check.h"
#include "huaweicloud/discovery_json.h"
#include "model/utf8.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body = swr::fuzz::as_text(data, size);
  const auto parsed = swr::huaweicloud::parse_sync_rule_details(body);
  // All or nothing (a body that fails gives no rules) is the Result's shape.
  if (!parsed) {
    FUZZ_CHECK(swr::is_valid_utf8(parsed.error()));
    return 0;
  }
  for (const swr::SyncRule& rule : *parsed) {
    FUZZ_CHECK(swr::is_valid_utf8(rule.target_region));
    FUZZ_CHECK(swr::is_valid_utf8(rule.target_organization));
  }
  return 0;
}
