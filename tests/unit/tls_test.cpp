// TLS verification is on by default: a server with a self-signed certificate is refused, and
// accepted once its certificate is given as ca_file (added to the system store, not instead).
#include <doctest/doctest.h>
#include <httplib.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <filesystem>
#include <thread>

#include "huaweicloud/transport.h"

using namespace swr::huaweicloud;

namespace {

// A P-256 key and a self-signed certificate for 127.0.0.1 and localhost, as PEM files.
struct SelfSigned {
  std::string dir, cert, key;
  SelfSigned() {
    dir = (std::filesystem::temp_directory_path() / ("swr-tls-" + std::to_string(::getpid())))
              .string();
    std::filesystem::create_directories(dir);
    cert = dir + "/cert.pem";
    key = dir + "/key.pem";
    EVP_PKEY* pkey = EVP_EC_gen("P-256");
    REQUIRE(pkey != nullptr);
    X509* x = X509_new();
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), -60);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_set_pubkey(x, pkey);
    X509_NAME* name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
    X509_set_issuer_name(x, name);
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, x, x, nullptr, nullptr, 0);
    for (const auto& [nid, value] : {std::pair{NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost"},
                                     std::pair{NID_basic_constraints, "critical,CA:TRUE"}}) {
      X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
      REQUIRE(ext != nullptr);
      X509_add_ext(x, ext, -1);
      X509_EXTENSION_free(ext);
    }
    REQUIRE(X509_sign(x, pkey, EVP_sha256()) > 0);
    FILE* f = std::fopen(cert.c_str(), "w");
    PEM_write_X509(f, x);
    std::fclose(f);
    f = std::fopen(key.c_str(), "w");
    PEM_write_PrivateKey(f, pkey, nullptr, nullptr, 0, nullptr, nullptr);
    std::fclose(f);
    X509_free(x);
    EVP_PKEY_free(pkey);
  }
  ~SelfSigned() { std::filesystem::remove_all(dir); }
};

}  // namespace

TEST_CASE("TLS: a self-signed server fails without ca_file and passes with it") {
  SelfSigned pki;
  httplib::SSLServer server(pki.cert.c_str(), pki.key.c_str());
  REQUIRE(server.is_valid());
  server.Get("/ping", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("[]", "application/json");
  });
  const int port = server.bind_to_any_port("127.0.0.1");
  REQUIRE(port > 0);
  std::thread thread([&] { server.listen_after_bind(); });

  HttpRequest request;
  request.base_url = "https://127.0.0.1:" + std::to_string(port);
  request.path = "/ping";

  const HttpResponse refused =
      make_curl_transport({"", std::chrono::seconds(5), 1 << 20})->send(request);
  CHECK(refused.status == 0);
  CHECK(refused.transport_error.find("certificate") != std::string::npos);

  const HttpResponse trusted =
      make_curl_transport({pki.cert, std::chrono::seconds(5), 1 << 20})->send(request);
  CHECK(trusted.status == 200);
  CHECK(trusted.body == "[]");

  request.base_url = "https://localhost:" + std::to_string(port);
  CHECK(make_curl_transport({pki.cert, std::chrono::seconds(5), 1 << 20})->send(request).status ==
        200);

  server.stop();
  thread.join();
}
