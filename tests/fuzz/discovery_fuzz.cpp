// parse_namespaces, parse_repositories (with the change hints) and parse_sync_rules over arbitrary
// discovery bodies.
#include "fuzz_check.h"
#include "huaweicloud/discovery_json.h"
#include "model/utf8.h"

namespace {

// Names become URL path segments and label values: they must be UTF-8.
// Names or an error, never both: the Result's shape.
void check(const swr::Result<swr::huaweicloud::NamesPage>& parsed) {
  if (!parsed) {
    FUZZ_CHECK(swr::is_valid_utf8(parsed.error()));
    return;
  }
  FUZZ_CHECK(parsed->names.size() <= parsed->items);
  for (const std::string& name : parsed->names) FUZZ_CHECK(swr::is_valid_utf8(name));
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
  const auto rules = swr::huaweicloud::parse_sync_rules(body);
  check(rules);
  if (rules) FUZZ_CHECK(rules->names.size() == rules->items);
  return 0;
}
