// The only file of the cloud client that sees libcurl. libcurl, not cpp-httplib, because IAM
// tokens are about 9 KB and cpp-httplib 0.11 (Debian 12) refuses any header line over 8 KB,
// so it can neither read X-Subject-Token nor send X-Auth-Token.
#include <curl/curl.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <mutex>
#include <vector>

#include "huaweicloud/transport.h"

namespace swr::huaweicloud {

namespace {

struct CurlDeleter {
  void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};
using CurlHandle = std::unique_ptr<CURL, CurlDeleter>;

struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

struct Exchange {
  HttpResponse* response;
  std::size_t max_body_bytes;
  bool too_large = false;
};

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto* exchange = static_cast<Exchange*>(user);
  const std::size_t n = size * count;
  if (exchange->response->body.size() + n > exchange->max_body_bytes) {
    exchange->too_large = true;
    return 0;  // aborts the transfer
  }
  exchange->response->body.append(data, n);
  return n;
}

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto* exchange = static_cast<Exchange*>(user);
  const std::size_t n = size * count;
  std::string_view line(data, n);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  if (line.starts_with("HTTP/")) {
    exchange->response->headers.clear();  // a new response (e.g. after 100 Continue)
    return n;
  }
  const std::size_t colon = line.find(':');
  if (colon == std::string_view::npos) return n;
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  if (colon == 14 && curl_strnequal(line.data(), "Content-Length", 14)) {
    // One allocation for the body instead of a doubling series; never beyond the cap.
    std::size_t length = 0;
    for (const char c : value) {
      if (c < '0' || c > '9') break;
      length = length * 10 + static_cast<std::size_t>(c - '0');
      if (length > exchange->max_body_bytes) break;
    }
    exchange->response->body.reserve(std::min(length, exchange->max_body_bytes));
  }
  exchange->response->headers.emplace_back(std::string(line.substr(0, colon)), std::string(value));
  return n;
}

// Adds the extra CA bundle to the store curl already filled from the system.
CURLcode add_ca_file(CURL*, void* ssl_ctx, void* user) {
  const auto* ca_file = static_cast<const std::string*>(user);
  X509_STORE* store = SSL_CTX_get_cert_store(static_cast<SSL_CTX*>(ssl_ctx));
  if (X509_STORE_load_locations(store, ca_file->c_str(), nullptr) != 1) {
    return CURLE_SSL_CACERT_BADFILE;
  }
  return CURLE_OK;
}

class CurlTransport final : public Transport {
 public:
  explicit CurlTransport(TransportOptions options) : options_(std::move(options)) {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  }

  HttpResponse send(const HttpRequest& request) override {
    CurlHandle curl = borrow();
    HttpResponse response = send_with(curl.get(), request);
    give_back(std::move(curl));
    return response;
  }

 private:
  CurlHandle borrow() {
    {
      std::lock_guard lock(mutex_);
      if (!idle_.empty()) {
        CurlHandle curl = std::move(idle_.back());
        idle_.pop_back();
        return curl;
      }
    }
    return CurlHandle(curl_easy_init());
  }

  void give_back(CurlHandle curl) {
    std::lock_guard lock(mutex_);
    if (idle_.size() < 16) idle_.push_back(std::move(curl));
  }

  HttpResponse send_with(CURL* curl, const HttpRequest& request) {
    HttpResponse response;
    if (curl == nullptr) {
      response.transport_error = "could not create an HTTP handle";
      return response;
    }
    curl_easy_reset(curl);  // keeps the connection cache, drops the last request's options
    Exchange exchange{&response, options_.max_body_bytes};
    const std::string url = request.base_url + request.target();
    std::unique_ptr<curl_slist, SlistDeleter> headers;
    for (const auto& [k, v] : request.headers) {
      std::string lower = k;
      for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (lower == "host") continue;  // curl writes the same Host from the URL
      const std::string line = k + ": " + v;
      headers.reset(curl_slist_append(headers.release(), line.c_str()));
    }
    // No `Expect: 100-continue` round trip for small JSON bodies.
    headers.reset(curl_slist_append(headers.release(), "Expect:"));

    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout.count()));
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.timeout.count()));
    curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");  // gzip and friends, decoded
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
    if (!options_.ca_file.empty()) {
      curl_easy_setopt(curl, CURLOPT_SSL_CTX_FUNCTION, add_ca_file);
      curl_easy_setopt(curl, CURLOPT_SSL_CTX_DATA, &options_.ca_file);
    }
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &exchange);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &exchange);
    if (request.method != "GET") {
      // A body, even an empty one, so the request carries its Content-Length.
      curl_easy_setopt(curl, CURLOPT_POST, 1L);
      curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data());
      curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(request.body.size()));
      if (request.method != "POST") {
        curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
      }
    }

    const CURLcode rc = curl_easy_perform(curl);
    if (rc != CURLE_OK) {
      response.status = 0;
      response.body.clear();
      response.body.shrink_to_fit();
      response.body_too_large = exchange.too_large;
      response.transport_error =
          exchange.too_large ? "response body larger than " +
                                   std::to_string(options_.max_body_bytes) + " bytes: refused"
          : rc == CURLE_OPERATION_TIMEDOUT
              ? "no complete response within " + std::to_string(options_.timeout.count()) + " ms"
              : std::string(curl_easy_strerror(rc));
      // Which server: a wrong endpoint and a service that is down read the same otherwise.
      response.transport_error += " (" + request.base_url + ")";
      return response;
    }
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    response.status = static_cast<int>(status);
    return response;
  }

  TransportOptions options_;
  std::mutex mutex_;
  std::vector<CurlHandle> idle_;
};

}  // namespace

std::unique_ptr<Transport> make_curl_transport(TransportOptions options) {
  return std::make_unique<CurlTransport>(std::move(options));
}

}  // namespace swr::huaweicloud
