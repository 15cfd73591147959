// Certificates for TLS tests, made at test time with OpenSSL.
#pragma once

#include <initializer_list>
#include <string>
#include <utility>

namespace swr::test {

struct PemPair {
  std::string cert;
  std::string key;
};

// A P-256 key and a self-signed certificate for `common_name`, valid from a minute ago for an
// hour, with the given X.509v3 extensions in OpenSSL's config syntax (e.g. {NID_subject_alt_name,
// "IP:127.0.0.1"}), as PEM text.
PemPair self_signed(const std::string& common_name,
                    std::initializer_list<std::pair<int, const char*>> extensions = {});

}  // namespace swr::test
