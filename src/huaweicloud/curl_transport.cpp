// The only file of the cloud client that sees libcurl. libcurl, not cpp-httplib, because IAM
// tokens are about 9 KB and cpp-httplib 0.11 (Debian 12) refuses any header line over 8 KB,
// so it can neither read X-Subject-Token nor send X-Auth-Token. send() runs one request on the
// calling thread (curl easy); a RequestSet runs many on one thread (curl multi), each request
// set up and read back by the same code as send().
#include <curl/curl.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <memory>
#include <mutex>
#include <stop_token>
#include <unordered_map>
#include <vector>

#include "huaweicloud/transport.h"

namespace swr::huaweicloud {

namespace {

struct CurlDeleter {
  void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};
using CurlHandle = std::unique_ptr<CURL, CurlDeleter>;

struct MultiDeleter {
  void operator()(CURLM* multi) const { curl_multi_cleanup(multi); }
};
using MultiHandle = std::unique_ptr<CURLM, MultiDeleter>;

struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

struct Exchange {
  HttpResponse* response;
  std::size_t max_body_bytes;
  bool too_large = false;
};

// What curl points into while a request runs; it must stay put until the transfer completes.
struct Transfer {
  explicit Transfer(std::size_t max_body_bytes) : exchange{&response, max_body_bytes} {}
  Transfer(const Transfer&) = delete;
  Transfer& operator=(const Transfer&) = delete;

  std::string base_url;  // named in transport errors
  std::unique_ptr<curl_slist, SlistDeleter> headers;
  HttpResponse response;
  Exchange exchange;
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
    exchange->response->headers.reserve(16);
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

  std::unique_ptr<RequestSet> request_set() override;

 private:
  friend class CurlRequestSet;

  // An easy handle keeps connections of its own only while send() uses it (a multi it joins drops
  // them); a multi keeps its connections, so a set reuses those of the set before it.
  static constexpr std::size_t kIdleEasyHandles = 16;
  static constexpr std::size_t kIdleMultiHandles = 4;
  // Connections a multi keeps open between transfers: the widest poll (scrape.concurrency <= 64).
  static constexpr long kMultiConnections = 64;

  CurlHandle borrow() {
    {
      std::lock_guard lock(mutex_);
      if (!idle_.empty()) {
        CurlHandle curl = std::move(idle_.back());
        idle_.pop_back();
        return curl;
      }
    }
    CurlHandle curl(curl_easy_init());
    if (curl) configure(curl.get());
    return curl;
  }

  void give_back(CurlHandle curl) {
    if (!curl) return;
    std::lock_guard lock(mutex_);
    if (idle_.size() < kIdleEasyHandles) idle_.push_back(std::move(curl));
  }

  MultiHandle borrow_multi() {
    {
      std::lock_guard lock(mutex_);
      if (!idle_multis_.empty()) {
        MultiHandle multi = std::move(idle_multis_.back());
        idle_multis_.pop_back();
        return multi;
      }
    }
    MultiHandle multi(curl_multi_init());
    if (multi) curl_multi_setopt(multi.get(), CURLMOPT_MAXCONNECTS, kMultiConnections);
    return multi;
  }

  void give_back_multi(MultiHandle multi) {
    if (!multi) return;
    std::lock_guard lock(mutex_);
    if (idle_multis_.size() < kIdleMultiHandles) idle_multis_.push_back(std::move(multi));
  }

  HttpResponse send_with(CURL* curl, const HttpRequest& request) {
    if (curl == nullptr) return no_handle();
    Transfer transfer(options_.max_body_bytes);
    prepare(curl, request, transfer);
    return finish(curl, curl_easy_perform(curl), transfer);
  }

  static HttpResponse no_handle() {
    HttpResponse response;
    response.transport_error = "could not create an HTTP handle";
    return response;
  }

  // Sets up `curl` for `request`; `transfer` receives the response and must outlive the transfer.
  // What every request of this transport shares, set once on a new handle (never reset, so it
  // is not set again for each request).
  void configure(CURL* curl) const {
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
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
  }

  // Sets up `curl` for `request`: everything a request sets, each time, so nothing of the last
  // request on this handle carries over. `transfer` receives the response and must outlive the
  // transfer.
  static void prepare(CURL* curl, const HttpRequest& request, Transfer& transfer) {
    transfer.base_url = request.base_url;
    const std::string url = request.base_url + request.target();  // curl copies strings
    std::string line;
    for (const auto& [k, v] : request.headers) {
      if (k.size() == 4 && curl_strnequal(k.c_str(), "host", 4)) {
        continue;  // curl writes the same Host from the URL
      }
      line.assign(k).append(": ").append(v);
      transfer.headers.reset(curl_slist_append(transfer.headers.release(), line.c_str()));
    }
    // No `Expect: 100-continue` round trip for small JSON bodies.
    transfer.headers.reset(curl_slist_append(transfer.headers.release(), "Expect:"));

    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, transfer.headers.get());
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &transfer.exchange);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &transfer.exchange);
    if (request.method == "GET") {
      curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
      curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, static_cast<const char*>(nullptr));
    } else {
      // A body, even an empty one, so the request carries its Content-Length. Copied: a set's
      // request may be gone before its transfer runs. The size goes first, then the copy.
      curl_easy_setopt(curl, CURLOPT_POST, 1L);
      curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(request.body.size()));
      curl_easy_setopt(curl, CURLOPT_COPYPOSTFIELDS, request.body.data());
      curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST,
                       request.method == "POST" ? nullptr : request.method.c_str());
    }
  }

  // The response of a transfer that ended with `rc`.
  HttpResponse finish(CURL* curl, CURLcode rc, Transfer& transfer) const {
    HttpResponse response = std::move(transfer.response);
    if (rc != CURLE_OK) {
      response.status = 0;
      response.body.clear();
      response.body.shrink_to_fit();
      response.body_too_large = transfer.exchange.too_large;
      response.transport_error =
          transfer.exchange.too_large
              ? "response body larger than " + std::to_string(options_.max_body_bytes) +
                    " bytes: refused"
          : rc == CURLE_OPERATION_TIMEDOUT
              ? "no complete response within " + std::to_string(options_.timeout.count()) + " ms"
              : std::string(curl_easy_strerror(rc));
      // Which server: a wrong endpoint and a service that is down read the same otherwise.
      response.transport_error += " (" + transfer.base_url + ")";
      return response;
    }
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    response.status = static_cast<int>(status);
    return response;
  }

  TransportOptions options_;
  std::mutex mutex_;  // guards the idle handles, shared by all threads and sets
  std::vector<CurlHandle> idle_;
  std::vector<MultiHandle> idle_multis_;
};

// One curl multi handle, borrowed from the transport for the set's life, drives the transfers.
// Used from one thread; only the stop callback in wait() touches the multi from another, through
// curl_multi_wakeup, which is made for that.
class CurlRequestSet final : public RequestSet {
 public:
  explicit CurlRequestSet(CurlTransport& transport)
      : transport_(transport), multi_(transport.borrow_multi()) {}

  CurlRequestSet(const CurlRequestSet&) = delete;
  CurlRequestSet& operator=(const CurlRequestSet&) = delete;

  ~CurlRequestSet() override {
    for (auto& [curl, running] : running_) {
      curl_multi_remove_handle(multi_.get(), curl);  // abandoned: its connection is closed
      transport_.give_back(std::move(running->curl));
    }
    running_.clear();
    transport_.give_back_multi(std::move(multi_));
  }

  void start(std::uint64_t tag, const HttpRequest& request) override {
    CurlHandle curl = multi_ ? transport_.borrow() : CurlHandle();
    if (!curl) {
      done_.emplace_back(tag, CurlTransport::no_handle());
      return;
    }
    auto running =
        std::make_unique<Running>(tag, std::move(curl), transport_.options_.max_body_bytes);
    transport_.prepare(running->curl.get(), request, running->transfer);
    if (const CURLMcode rc = curl_multi_add_handle(multi_.get(), running->curl.get());
        rc != CURLM_OK) {
      done_.emplace_back(tag, failed(rc, *running));
      transport_.give_back(std::move(running->curl));
      return;
    }
    CURL* key = running->curl.get();
    running_.emplace(key, std::move(running));
  }

  std::vector<Answer> wait(std::chrono::milliseconds timeout, std::stop_token stop) override {
    using Clock = std::chrono::steady_clock;
    std::vector<Answer> answers = std::exchange(done_, {});
    if (running_.empty()) return answers;
    const Clock::time_point deadline = Clock::now() + timeout;
    CURLM* multi = multi_.get();
    std::stop_callback wake(stop, [multi] { curl_multi_wakeup(multi); });
    for (;;) {
      int still_running = 0;
      CURLMcode rc = curl_multi_perform(multi, &still_running);
      collect(answers);
      if (rc == CURLM_OK) {
        if (!answers.empty() || running_.empty() || stop.stop_requested()) break;
        const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0) break;
        // Returns when a socket is ready, curl's next timeout is due, or `wake` ran.
        rc = curl_multi_poll(multi, nullptr, 0,
                             static_cast<int>(std::min<std::int64_t>(left.count(), INT_MAX)),
                             nullptr);
      }
      if (rc != CURLM_OK) {
        // The multi handle is broken: answer every transfer rather than spin or hang on it.
        fail_all(rc, answers);
        break;
      }
    }
    return answers;
  }

  std::size_t in_flight() const override { return running_.size() + done_.size(); }

 private:
  struct Running {
    Running(std::uint64_t tag, CurlHandle curl, std::size_t max_body_bytes)
        : tag(tag), curl(std::move(curl)), transfer(max_body_bytes) {}
    std::uint64_t tag;
    CurlHandle curl;
    Transfer transfer;
  };

  // Takes the finished transfers out of the multi and answers them.
  void collect(std::vector<Answer>& answers) {
    int queued = 0;
    while (const CURLMsg* message = curl_multi_info_read(multi_.get(), &queued)) {
      if (message->msg != CURLMSG_DONE) continue;
      // Read before removing the handle, which invalidates the message.
      CURL* const curl = message->easy_handle;
      const CURLcode result = message->data.result;
      const auto it = running_.find(curl);
      if (it == running_.end()) continue;
      std::unique_ptr<Running> running = std::move(it->second);
      running_.erase(it);
      curl_multi_remove_handle(multi_.get(), curl);
      answers.emplace_back(running->tag, transport_.finish(curl, result, running->transfer));
      transport_.give_back(std::move(running->curl));
    }
  }

  void fail_all(CURLMcode rc, std::vector<Answer>& answers) {
    for (auto& [curl, running] : running_) {
      curl_multi_remove_handle(multi_.get(), curl);
      answers.emplace_back(running->tag, failed(rc, *running));
      transport_.give_back(std::move(running->curl));
    }
    running_.clear();
  }

  static HttpResponse failed(CURLMcode rc, const Running& running) {
    HttpResponse response;
    response.transport_error =
        std::string(curl_multi_strerror(rc)) + " (" + running.transfer.base_url + ")";
    return response;
  }

  CurlTransport& transport_;
  MultiHandle multi_;
  std::unordered_map<CURL*, std::unique_ptr<Running>> running_;
  std::vector<Answer> done_;  // answered in start(), handed out by the next wait()
};

std::unique_ptr<RequestSet> CurlTransport::request_set() {
  return std::make_unique<CurlRequestSet>(*this);
}

}  // namespace

std::unique_ptr<Transport> make_curl_transport(TransportOptions options) {
  return std::make_unique<CurlTransport>(std::move(options));
}

}  // namespace swr::huaweicloud
