// parse_namespaces and parse_repositories (with the change hints) over arbitrary discovery bodies
// (sync_repo bodies: sync_rules_fuzz.cpp).
#include "fuzz_check.h"
#include "huaweicloud/discovery_json.h"
#include "model/utf8.h"

namespace {

// Names become URL path segments and label values: they must be UTF-8.
// Names or an error, never both: the Result's shape.
void check(const swr::Result<std::vector<std::string>>& parsed) {
  if (!parsed) {
    FUZZ_CHECK(swr::is_valid_utf8(parsed.error()));
    return;
  }
  for (const std::string& name : *parsed) FUZZ_CHECK(swr::is_valid_utf8(name));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body = swr::fuzz::as_text(data, size);
  check(swr::huaweicloud::parse_namespaces(body));
  const auto listing = swr::huaweicloud::parse_repositories(body, "team-a");
  if (!listing) {
    FUZZ_CHECK(swr::is_valid_utf8(listing.error()));
  } else {
    FUZZ_CHECK(listing->entries.size() <= listing->items);
    for (const auto& entry : listing->entries) {
      FUZZ_CHECK(swr::is_valid_utf8(entry.name));
      FUZZ_CHECK(swr::is_valid_utf8(entry.problem));
      // An entry gives a hint or says why not, never both, never neither.
      FUZZ_CHECK(entry.fingerprint.empty() != entry.problem.empty());
    }
  }
  return 0;
}
