// The only file of the cloud client that sees libcurl, and libcurl speaks HTTP: every request is an
// ordinary transfer on a multi handle. libcurl brings DNS, proxies from the environment
// (https_proxy through a CONNECT tunnel, http_proxy as a forward proxy, no_proxy), TLS and its
// checks, HTTP/2 where the server offers it in ALPN, keep-alive, content decoding, and the retry
// of a request whose reused connection turned out dead. What is ours: the body cap, which
// requests may be resent, and waking the wait on a stop.
//
// A request set borrows a lane (a multi handle, whose connection cache keeps the connections, and
// its spare easy handles) and drives its transfers from the waiting thread. Lanes go back to the
// transport, so the next set reuses the connections of the last. DNS answers and TLS sessions are
// shared by every lane.
#include <curl/curl.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cstdint>
#include <memory>
#include <mutex>
#include <stop_token>
#include <vector>

#include "huaweicloud/ascii.h"
#include "huaweicloud/transport.h"
#include "model/result.h"

namespace swr::huaweicloud {

namespace {

using Clock = std::chrono::steady_clock;

struct CurlDeleter {
  void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};
using CurlHandle = std::unique_ptr<CURL, CurlDeleter>;

struct MultiDeleter {
  void operator()(CURLM* multi) const { curl_multi_cleanup(multi); }
};
using MultiHandle = std::unique_ptr<CURLM, MultiDeleter>;

struct ShareDeleter {
  void operator()(CURLSH* share) const { curl_share_cleanup(share); }
};

struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;

// Connections kept per lane: the widest poll (scrape.concurrency <= 64). Lanes kept: one per
// thread that sends at the same time, in practice.
constexpr long kConnectionsPerLane = 64;
constexpr std::size_t kIdleLanes = 4;

// A multi handle (its connection cache holds the idle connections) and easy handles to reuse.
// Lent whole to one set at a time.
struct Lane {
  MultiHandle multi;
  std::vector<CurlHandle> spare;
};

// RFC 9110 tchar: what a method or a header name is made of.
bool is_token(std::string_view text) {
  if (text.empty()) return false;
  for (const char c : text) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

bool breaks_line(std::string_view text) {
  return text.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

// Methods a server may receive twice without harm (RFC 9110 9.2.2), which libcurl may send again
// when a kept connection proves dead before any of the answer arrived.
bool idempotent(std::string_view method) {
  return method == "GET" || method == "HEAD" || method == "PUT" || method == "DELETE" ||
         method == "OPTIONS";
}

HttpResponse failure(std::string message, const std::string& origin, bool too_large = false) {
  HttpResponse response;
  // Which server: a wrong endpoint and a service that is down read the same otherwise.
  response.transport_error = std::move(message) + " (" + origin + ")";
  response.body_too_large = too_large;
  return response;
}

// One request in flight: what its callbacks fill.
struct Transfer {
  std::uint64_t tag = 0;
  std::string origin;
  std::string url;
  std::string body;  // the request's; libcurl reads it in place
  Slist headers;
  CurlHandle easy;
  std::size_t max_body = 0;
  bool too_large = false;
  HttpResponse response;
  char error[CURL_ERROR_SIZE] = {};
};

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto& transfer = *static_cast<Transfer*>(user);
  const std::size_t bytes = size * count;
  if (bytes > transfer.max_body - transfer.response.body.size()) {
    transfer.too_large = true;
    return 0;  // ends the transfer with CURLE_WRITE_ERROR
  }
  transfer.response.body.append(data, bytes);
  return bytes;
}

// One header line at a time, CRLF included. A status line starts a new head (after a 1xx, say),
// so only the final response's headers are kept; a line starting with white space continues the
// one before it (obsolete folding).
std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto& headers = static_cast<Transfer*>(user)->response.headers;
  const std::size_t bytes = size * count;
  std::string_view line(data, bytes);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  if (line.starts_with("HTTP/")) {
    headers.clear();
  } else if (!line.empty() && (line.front() == ' ' || line.front() == '\t')) {
    if (!headers.empty()) {
      headers.back().second.push_back(' ');
      headers.back().second += trim_ows(line);
    }
  } else if (const std::size_t colon = line.find(':'); colon != std::string_view::npos) {
    headers.emplace_back(std::string(trim_ows(line.substr(0, colon))),
                         std::string(trim_ows(line.substr(colon + 1))));
  }
  return bytes;
}

class CurlTransport final : public Transport {
 public:
  explicit CurlTransport(TransportOptions options) : options_(std::move(options)) {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    share_.reset(curl_share_init());
    if (share_) {
      curl_share_setopt(share_.get(), CURLSHOPT_LOCKFUNC, lock);
      curl_share_setopt(share_.get(), CURLSHOPT_UNLOCKFUNC, unlock);
      curl_share_setopt(share_.get(), CURLSHOPT_USERDATA, this);
      curl_share_setopt(share_.get(), CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
      curl_share_setopt(share_.get(), CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    }
  }

  ~CurlTransport() override {
    lanes_.clear();  // their easy handles use the share, which must go last
  }

  HttpResponse send(const HttpRequest& request) override { return Transport::send(request, {}); }
  std::unique_ptr<RequestSet> request_set() override;

  Lane borrow_lane() {
    {
      std::lock_guard lock(lanes_mutex_);
      if (!lanes_.empty()) {
        Lane lane = std::move(lanes_.back());
        lanes_.pop_back();
        return lane;
      }
    }
    Lane lane;
    lane.multi.reset(curl_multi_init());
    if (lane.multi) curl_multi_setopt(lane.multi.get(), CURLMOPT_MAXCONNECTS, kConnectionsPerLane);
    return lane;
  }

  void give_back(Lane lane) {
    std::unique_lock lock(lanes_mutex_);
    if (lanes_.size() < kIdleLanes) {
      lanes_.push_back(std::move(lane));
      return;
    }
    lock.unlock();  // the lane closes its connections as it goes
  }

  // Sets `easy` up for `request`, or says why the request cannot be sent as it is.
  Result<void> prepare(Transfer& transfer, const HttpRequest& request) const;

  std::string timed_out() const {
    return "no complete response within " + std::to_string(options_.timeout.count()) + " ms";
  }

  const TransportOptions& options() const { return options_; }

 private:
  static void lock(CURL*, curl_lock_data data, curl_lock_access, void* user) {
    static_cast<CurlTransport*>(user)->share_mutexes_.at(static_cast<std::size_t>(data)).lock();
  }
  static void unlock(CURL*, curl_lock_data data, void* user) {
    static_cast<CurlTransport*>(user)->share_mutexes_.at(static_cast<std::size_t>(data)).unlock();
  }

  TransportOptions options_;
  std::array<std::mutex, CURL_LOCK_DATA_LAST> share_mutexes_;
  std::unique_ptr<CURLSH, ShareDeleter> share_;
  std::mutex lanes_mutex_;
  std::vector<Lane> lanes_;
};

Result<void> CurlTransport::prepare(Transfer& transfer, const HttpRequest& request) const {
  if (!is_token(request.method)) {
    return unexpected(std::string("request method is not an HTTP token"));
  }
  // libcurl writes header lines as given: a line break in a value would start a header of its
  // own, so such a request is refused before anything is sent (and the value is not echoed).
  bool has_host = false;
  curl_slist* list = nullptr;
  const auto add = [&](const std::string& line) {
    curl_slist* grown = curl_slist_append(list, line.c_str());
    if (grown == nullptr) return false;
    list = grown;
    return true;
  };
  transfer.headers.reset();
  for (const auto& [name, value] : request.headers) {
    if (!is_token(name)) {
      return unexpected(std::string("request header name is not an HTTP token"));
    }
    if (breaks_line(value)) {
      return unexpected("request header " + name + " has a line break or NUL in its value");
    }
    if (iequals(name, "content-length")) {
      return unexpected(
          std::string("request header Content-Length is the transport's to write, from the body"));
    }
    has_host = has_host || iequals(name, "host");
  }
  const std::string host = request.host();
  const std::string target = request.target();
  if (breaks_line(host) || breaks_line(target)) {
    return unexpected(std::string("request target or host has a line break or NUL"));
  }
  // Host goes out exactly as it was signed (libcurl would drop a default port); libcurl's own
  // Accept and Expect are left out.
  bool ok = (has_host || add("Host: " + host)) && add("Accept:") && add("Expect:");
  for (const auto& [name, value] : request.headers) {
    // "Name;" is how libcurl is told to send a header with an empty value.
    std::string line = name;
    line += value.empty() ? ";" : ": ";
    line += value;
    ok = ok && add(line);
  }
  transfer.headers.reset(list);
  if (!ok) {
    return unexpected(std::string("out of memory for the request headers"));
  }

  CURL* easy = transfer.easy.get();
  curl_easy_reset(easy);
  transfer.url = request.base_url + target;
  transfer.origin = request.base_url;
  transfer.max_body = options_.max_body_bytes;
  curl_easy_setopt(easy, CURLOPT_URL, transfer.url.c_str());
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(easy, CURLOPT_PATH_AS_IS, 1L);  // the target as signed, dots and all
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2TLS));
  // "": every encoding this libcurl can decode, advertised and decoded.
  curl_easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, "");
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout.count()));
  curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.timeout.count()));
  curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 2L);
  // Added to the system store: libcurl keeps its default CA directory (/etc/ssl/certs) beside it.
  if (!options_.ca_file.empty()) curl_easy_setopt(easy, CURLOPT_CAINFO, options_.ca_file.c_str());
  if (share_) curl_easy_setopt(easy, CURLOPT_SHARE, share_.get());
  curl_easy_setopt(easy, CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L);
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, transfer.headers.get());
  // Refused as soon as a Content-Length says so; a body without one is stopped by on_body.
  curl_easy_setopt(
      easy, CURLOPT_MAXFILESIZE_LARGE,
      static_cast<curl_off_t>(std::min<std::size_t>(options_.max_body_bytes, INT64_MAX)));
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(easy, CURLOPT_HEADERDATA, &transfer);
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, transfer.error);
  curl_easy_setopt(easy, CURLOPT_PRIVATE, &transfer);

  if (request.method == "GET" && request.body.empty()) {
    curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
  } else if (request.method == "HEAD") {
    curl_easy_setopt(easy, CURLOPT_NOBODY, 1L);
  } else {
    transfer.body = request.body;
    curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(transfer.body.size()));
    curl_easy_setopt(easy, CURLOPT_POSTFIELDS, transfer.body.data());
    if (request.method != "POST") {
      curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    }
  }
  // libcurl sends a request again, on a new connection, when a kept one proves dead before any
  // answer arrived. The server may have acted on it all the same: a request that must not run
  // twice (a POST for an IAM token) never goes out on a kept connection.
  if (!idempotent(request.method)) curl_easy_setopt(easy, CURLOPT_FRESH_CONNECT, 1L);
  // A connection idle for a second or more is not reused (libcurl compares whole seconds with
  // `> 0`). Servers that give up on an idle connection may say so first (some answer it with a
  // 408 as they close it), and libcurl 7.88 takes such bytes for the next request's answer. The
  // requests of a cycle follow one another within milliseconds and keep theirs.
  curl_easy_setopt(easy, CURLOPT_MAXAGE_CONN, 0L);
  return {};
}

// Used from one thread; only the stop callback in wait() touches the multi from another, through
// curl_multi_wakeup, which is made for that.
class CurlRequestSet final : public RequestSet {
 public:
  explicit CurlRequestSet(CurlTransport& transport)
      : transport_(transport), lane_(transport.borrow_lane()) {}

  CurlRequestSet(const CurlRequestSet&) = delete;
  CurlRequestSet& operator=(const CurlRequestSet&) = delete;

  ~CurlRequestSet() override {
    // Abandoned: removing a transfer that has not finished closes its connection.
    for (auto& transfer : running_) retire(*transfer);
    running_.clear();
    if (lane_.multi) transport_.give_back(std::move(lane_));
  }

  void start(std::uint64_t tag, const HttpRequest& request) override {
    auto transfer = std::make_unique<Transfer>();
    transfer->tag = tag;
    if (!lane_.spare.empty()) {
      transfer->easy = std::move(lane_.spare.back());
      lane_.spare.pop_back();
    } else {
      transfer->easy.reset(curl_easy_init());
    }
    if (!transfer->easy || !lane_.multi) {
      done_.emplace_back(tag, failure("could not start a transfer", request.base_url));
      return;
    }
    if (auto prepared = transport_.prepare(*transfer, request); !prepared) {
      lane_.spare.push_back(std::move(transfer->easy));
      done_.emplace_back(tag, failure(prepared.error(), request.base_url));
      return;
    }
    if (const CURLMcode rc = curl_multi_add_handle(lane_.multi.get(), transfer->easy.get());
        rc != CURLM_OK) {
      done_.emplace_back(tag, failure(curl_multi_strerror(rc), request.base_url));
      return;
    }
    running_.push_back(std::move(transfer));
  }

  std::vector<Answer> wait(std::chrono::milliseconds timeout, std::stop_token stop) override {
    std::vector<Answer> answers = std::exchange(done_, {});
    if (running_.empty()) return answers;
    const Clock::time_point until = Clock::now() + timeout;
    CURLM* multi = lane_.multi.get();
    std::stop_callback wake(stop, [multi] { curl_multi_wakeup(multi); });
    for (;;) {
      int still_running = 0;
      if (const CURLMcode rc = curl_multi_perform(multi, &still_running); rc != CURLM_OK) {
        fail_all(curl_multi_strerror(rc), answers);
        break;
      }
      collect(answers);
      if (!answers.empty() || running_.empty() || stop.stop_requested()) break;
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(until - Clock::now()).count();
      if (left <= 0) break;
      // Returns when a socket is ready, a timer of libcurl's is due (it shortens the wait for
      // those itself), or `wake` ran.
      if (const CURLMcode rc = curl_multi_poll(
              multi, nullptr, 0, static_cast<int>(std::min<long long>(left, INT_MAX)), nullptr);
          rc != CURLM_OK) {
        fail_all(curl_multi_strerror(rc), answers);
        break;
      }
    }
    return answers;
  }

  std::size_t in_flight() const override { return running_.size() + done_.size(); }

 private:
  // The transfers libcurl finished, answered.
  void collect(std::vector<Answer>& answers) {
    int queued = 0;
    while (const CURLMsg* message = curl_multi_info_read(lane_.multi.get(), &queued)) {
      if (message->msg != CURLMSG_DONE) continue;
      const auto it = std::find_if(running_.begin(), running_.end(), [&](const auto& transfer) {
        return transfer->easy.get() == message->easy_handle;
      });
      if (it == running_.end()) continue;
      Transfer& transfer = **it;
      answers.emplace_back(transfer.tag, answer(transfer, message->data.result));
      retire(transfer);
      running_.erase(it);
    }
  }

  HttpResponse answer(Transfer& transfer, CURLcode result) const {
    if (result == CURLE_OK) {
      long status = 0;
      curl_easy_getinfo(transfer.easy.get(), CURLINFO_RESPONSE_CODE, &status);
      transfer.response.status = static_cast<int>(status);
      curl_off_t body = 0;
      long head = 0;
      curl_easy_getinfo(transfer.easy.get(), CURLINFO_SIZE_DOWNLOAD_T, &body);
      curl_easy_getinfo(transfer.easy.get(), CURLINFO_HEADER_SIZE, &head);
      transfer.response.wire_body_bytes = static_cast<std::size_t>(body);
      transfer.response.head_bytes = static_cast<std::size_t>(head);
      return std::move(transfer.response);
    }
    if (transfer.too_large || result == CURLE_FILESIZE_EXCEEDED) {
      return failure("response body larger than " +
                         std::to_string(transport_.options().max_body_bytes) + " bytes: refused",
                     transfer.origin, true);
    }
    switch (result) {
      case CURLE_OPERATION_TIMEDOUT:
        return failure(transport_.timed_out(), transfer.origin);
      case CURLE_GOT_NOTHING:
        return failure("connection closed before any response", transfer.origin);
      case CURLE_PARTIAL_FILE:
        return failure("connection closed before the response body was complete", transfer.origin);
      default:
        break;
    }
    // libcurl's detail (which host, which certificate check) when it has one.
    std::string message = curl_easy_strerror(result);
    if (transfer.error[0] != '\0') message += std::string(": ") + transfer.error;
    return failure(std::move(message), transfer.origin);
  }

  // Takes the transfer's easy handle out of the multi and keeps it for the next request.
  void retire(Transfer& transfer) {
    curl_multi_remove_handle(lane_.multi.get(), transfer.easy.get());
    if (lane_.spare.size() < static_cast<std::size_t>(kConnectionsPerLane)) {
      lane_.spare.push_back(std::move(transfer.easy));
    }
  }

  void fail_all(const std::string& why, std::vector<Answer>& answers) {
    for (auto& transfer : running_) {
      answers.emplace_back(transfer->tag, failure(why, transfer->origin));
      retire(*transfer);
    }
    running_.clear();
  }

  CurlTransport& transport_;
  Lane lane_;
  std::vector<std::unique_ptr<Transfer>> running_;
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
