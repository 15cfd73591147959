// The only file of the cloud client that sees cpp-httplib.
#include <httplib.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "huaweicloud/transport.h"

namespace swr::huaweicloud {

namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string describe(httplib::Error error) {
  switch (error) {
    case httplib::Error::Connection:
      return "connection failed";
    case httplib::Error::Read:
      return "read failed or timed out";
    case httplib::Error::Write:
      return "write failed";
    case httplib::Error::ExceedRedirectCount:
      return "too many redirects";
    case httplib::Error::Canceled:
      return "response too large or deadline passed";
    case httplib::Error::SSLConnection:
      return "TLS handshake failed";
    case httplib::Error::SSLLoadingCerts:
      return "could not load CA certificates";
    case httplib::Error::SSLServerVerification:
      return "TLS certificate verification failed";
    case httplib::Error::UnsupportedMultipartBoundaryChars:
      return "bad multipart boundary";
    case httplib::Error::Compression:
      return "bad compressed body";
    case httplib::Error::ConnectionTimeout:
      return "connection timed out";
    default:
      return "transport error " + httplib::to_string(error);
  }
}

// httplib::Client serialises its requests, so concurrent workers each borrow their own client.
class HttplibTransport final : public Transport {
 public:
  explicit HttplibTransport(TransportOptions options) : options_(std::move(options)) {}

  HttpResponse send(const HttpRequest& request) override {
    std::unique_ptr<httplib::Client> client = borrow(request.base_url);
    HttpResponse response = send_with(*client, request);
    give_back(request.base_url, std::move(client));
    return response;
  }

 private:
  std::unique_ptr<httplib::Client> borrow(const std::string& base_url) {
    {
      std::lock_guard lock(mutex_);
      auto& idle = idle_[base_url];
      if (!idle.empty()) {
        auto client = std::move(idle.back());
        idle.pop_back();
        return client;
      }
    }
    auto client = std::make_unique<httplib::Client>(base_url);
    const auto seconds = std::chrono::duration_cast<std::chrono::microseconds>(options_.timeout);
    client->set_connection_timeout(seconds);
    client->set_read_timeout(seconds);
    client->set_write_timeout(seconds);
    client->set_keep_alive(true);
    client->set_url_encode(false);  // we send the target exactly as it was signed
    client->set_follow_location(false);
    client->set_decompress(true);
    if (base_url.rfind("https://", 0) == 0) {
      client->enable_server_certificate_verification(true);
      if (!options_.ca_file.empty()) {
        // The system store plus the extra bundle; the client owns the store.
        X509_STORE* store = X509_STORE_new();
        X509_STORE_set_default_paths(store);
        X509_STORE_load_locations(store, options_.ca_file.c_str(), nullptr);
        client->set_ca_cert_store(store);
      }
    }
    return client;
  }

  void give_back(const std::string& base_url, std::unique_ptr<httplib::Client> client) {
    std::lock_guard lock(mutex_);
    auto& idle = idle_[base_url];
    if (idle.size() < 16) idle.push_back(std::move(client));
  }

  HttpResponse send_with(httplib::Client& client, const HttpRequest& request) {
    httplib::Headers headers;
    for (const auto& [k, v] : request.headers) {
      if (iequals(k, "host")) continue;  // httplib writes Host from the base URL
      headers.emplace(k, v);
    }
    const std::string target = request.target();
    HttpResponse out;
    const auto deadline = std::chrono::steady_clock::now() + options_.timeout;
    bool too_large = false;
    bool too_slow = false;
    httplib::Result result{nullptr, httplib::Error::Unknown};
    if (request.method == "GET") {
      result = client.Get(target, headers, [&](const char* data, std::size_t len) {
        if (out.body.size() + len > options_.max_body_bytes) {
          too_large = true;
          return false;
        }
        if (std::chrono::steady_clock::now() > deadline) {
          too_slow = true;
          return false;
        }
        out.body.append(data, len);
        return true;
      });
    } else if (request.method == "POST") {
      std::string content_type = "application/json";
      for (const auto& [k, v] : request.headers) {
        if (iequals(k, "content-type")) content_type = v;
      }
      headers.erase("Content-Type");
      result = client.Post(target, headers, request.body, content_type);
      if (result) out.body = result->body;
    } else {
      out.transport_error = "unsupported method " + request.method;
      return out;
    }
    if (!result) {
      if (too_large) {
        out.transport_error = "response body larger than " +
                              std::to_string(options_.max_body_bytes) + " bytes: refused";
      } else if (too_slow) {
        out.transport_error = "response not complete within the request timeout";
      } else {
        out.transport_error = describe(result.error());
      }
      return out;
    }
    out.status = result->status;
    for (const auto& [k, v] : result->headers) out.headers.emplace_back(k, v);
    return out;
  }

  TransportOptions options_;
  std::mutex mutex_;
  std::unordered_map<std::string, std::vector<std::unique_ptr<httplib::Client>>> idle_;
};

}  // namespace

std::unique_ptr<Transport> make_httplib_transport(TransportOptions options) {
  return std::make_unique<HttplibTransport>(std::move(options));
}

}  // namespace swr::huaweicloud
