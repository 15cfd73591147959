// TLS verification is on by default: a server with a self-signed certificate is refused, and
// accepted once its certificate is given as ca_file (added to the system store, not instead).
#include <doctest/doctest.h>
#include <httplib.h>
#include <openssl/x509v3.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "huaweicloud/transport.h"
#include "self_signed.h"

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
    const swr::test::PemPair pair =
        swr::test::self_signed("localhost", {{NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost"},
                                             {NID_basic_constraints, "critical,CA:TRUE"}});
    std::ofstream(cert) << pair.cert;
    std::ofstream(key) << pair.key;
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
