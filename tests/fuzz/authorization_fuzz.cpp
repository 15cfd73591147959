// parse_authorization over arbitrary Authorization header values, as swr-sim reads them.
#include <string>

#include "fuzz_check.h"
#include "huaweicloud/signer.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto parsed = swr::huaweicloud::parse_authorization(swr::fuzz::as_text(data, size));
  if (!parsed) return 0;
  FUZZ_CHECK(!parsed->access_key.empty());
  FUZZ_CHECK(!parsed->signed_headers.empty());
  for (const std::string& name : parsed->signed_headers) {
    FUZZ_CHECK(!name.empty());
    FUZZ_CHECK(name.find(';') == std::string::npos);
  }
  // Written back in the canonical form, it reads the same. Blanks around a signed header name are
  // kept (`a ;b` gives "a "), but the list's last name loses them to the trim of the whole part.
  for (const std::string& name : parsed->signed_headers) {
    if (name.front() == ' ' || name.front() == '\t' || name.back() == ' ' || name.back() == '\t') {
      return 0;
    }
  }
  std::string header = "SDK-HMAC-SHA256 Access=" + parsed->access_key + ", SignedHeaders=";
  for (std::size_t i = 0; i < parsed->signed_headers.size(); ++i) {
    if (i > 0) header += ';';
    header += parsed->signed_headers[i];
  }
  header += ", Signature=" + parsed->signature;
  const auto again = swr::huaweicloud::parse_authorization(header);
  FUZZ_CHECK(again.has_value());
  FUZZ_CHECK(again->access_key == parsed->access_key);
  FUZZ_CHECK(again->signed_headers == parsed->signed_headers);
  FUZZ_CHECK(again->signature == parsed->signature);
  return 0;
}
