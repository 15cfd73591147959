#include "signer_reference.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cctype>

#include "huaweicloud/ascii.h"
#include "model/hex.h"

namespace swr::test {

namespace {

std::string lowered(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::string canonical_request(const huaweicloud::SignableRequest& request,
                              const std::vector<std::string>& signed_headers) {
  std::string out = request.method + "\n";
  out += huaweicloud::canonical_uri(request.path) + "\n";
  out += huaweicloud::canonical_query(request.query) + "\n";
  for (const std::string& name : signed_headers) {
    out += name + ":";
    for (const auto& [k, v] : request.headers) {
      if (lowered(k) == name) {
        out += huaweicloud::trim_ows(v);
        break;
      }
    }
    out += "\n";
  }
  out += "\n";
  for (std::size_t i = 0; i < signed_headers.size(); ++i) {
    out += (i == 0 ? "" : ";") + signed_headers[i];
  }
  out += "\n" + huaweicloud::hex_sha256(request.body);
  return out;
}

std::string string_to_sign(std::string_view canonical_request, std::string_view sdk_date) {
  return "SDK-HMAC-SHA256\n" + std::string(sdk_date) + "\n" +
         huaweicloud::hex_sha256(canonical_request);
}

std::string hex_hmac_sha256(std::string_view key, std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest, &n);
  return to_hex(digest, n);
}

std::string reference_authorization(const std::string& access_key, const std::string& secret_key,
                                    const huaweicloud::SignableRequest& request) {
  std::string date;
  for (const auto& [k, v] : request.headers) {
    if (lowered(k) == "x-sdk-date") date = v;
  }
  const std::vector<std::string> names = huaweicloud::signed_header_names(request.headers);
  std::string joined;
  for (const std::string& name : names) joined += (joined.empty() ? "" : ";") + name;
  return "SDK-HMAC-SHA256 Access=" + access_key + ", SignedHeaders=" + joined + ", Signature=" +
         hex_hmac_sha256(secret_key, string_to_sign(canonical_request(request, names), date));
}

}  // namespace swr::test
