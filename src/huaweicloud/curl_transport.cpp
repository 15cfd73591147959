// The only file of the cloud client that sees libcurl. libcurl makes and keeps the connections:
// DNS, a proxy tunnel when the environment names a proxy, TLS and its certificate checks against
// the system store plus `ca_file`. Over each connection the requests and responses are HTTP/1.1
// spoken by http1.h through curl_easy_send/curl_easy_recv (CURLOPT_CONNECT_ONLY): a full libcurl
// transfer per request cost about 20 us of CPU on top of the exchange itself, as much again as
// the whole exchange, signing included (10,000 small requests on loopback: 0.37-0.54 s as libcurl
// transfers, 0.19-0.26 s as bytes over libcurl's connections).
//
// A request set borrows a multi handle with the idle connections made in it (a connection made
// with CONNECT_ONLY lives in the multi it was made in) and drives everything from the waiting
// thread: new connections through curl_multi_perform, the exchanges through the sockets that
// curl_multi_poll watches beside curl's own. send() is a set of one.
#include <curl/curl.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <memory>
#include <mutex>
#include <stop_token>
#include <vector>

#include "huaweicloud/http1.h"
#include "huaweicloud/transport.h"

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

// A connection libcurl made (CURLOPT_CONNECT_ONLY) to one origin.
struct Connection {
  std::string origin;  // scheme://host[:port], as HttpRequest::base_url
  CurlHandle curl;
  curl_socket_t socket = CURL_SOCKET_BAD;
  bool connected = false;
  bool carried = false;  // has carried a response: it may have gone stale while idle
  Clock::time_point idle_since;
};

// A multi handle and the idle connections made in it; lent whole to one set at a time.
struct ConnectionPool {
  ConnectionPool() = default;
  ConnectionPool(ConnectionPool&&) = default;
  ConnectionPool& operator=(ConnectionPool&&) = default;
  ~ConnectionPool() {
    for (auto& connection : idle) curl_multi_remove_handle(multi.get(), connection->curl.get());
  }

  MultiHandle multi;
  std::vector<std::unique_ptr<Connection>> idle;  // the most recently used last
};

// Adds the extra CA bundle to the store curl already filled from the system.
CURLcode add_ca_file(CURL*, void* ssl_ctx, void* user) {
  const auto* ca_file = static_cast<const std::string*>(user);
  X509_STORE* store = SSL_CTX_get_cert_store(static_cast<SSL_CTX*>(ssl_ctx));
  if (X509_STORE_load_locations(store, ca_file->c_str(), nullptr) != 1) {
    return CURLE_SSL_CACERT_BADFILE;
  }
  return CURLE_OK;
}

HttpResponse failure(std::string message, const std::string& origin, bool too_large = false) {
  HttpResponse response;
  // Which server: a wrong endpoint and a service that is down read the same otherwise.
  response.transport_error = std::move(message) + " (" + origin + ")";
  response.body_too_large = too_large;
  return response;
}

class CurlTransport final : public Transport {
 public:
  explicit CurlTransport(TransportOptions options) : options_(std::move(options)) {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  }

  HttpResponse send(const HttpRequest& request) override;
  std::unique_ptr<RequestSet> request_set() override;

 private:
  friend class CurlRequestSet;

  // Pools kept between sets (one per thread that sends at the same time, in practice), and idle
  // connections kept per pool: the widest poll (scrape.concurrency <= 64).
  static constexpr std::size_t kIdlePools = 4;
  static constexpr std::size_t kIdleConnections = 64;

  ConnectionPool borrow_pool() {
    {
      std::lock_guard lock(mutex_);
      if (!pools_.empty()) {
        ConnectionPool pool = std::move(pools_.back());
        pools_.pop_back();
        return pool;
      }
    }
    ConnectionPool pool;
    pool.multi.reset(curl_multi_init());
    return pool;
  }

  void give_back(ConnectionPool pool) {
    std::unique_lock lock(mutex_);
    if (pools_.size() < kIdlePools) {
      pools_.push_back(std::move(pool));
      return;
    }
    lock.unlock();  // the pool closes its connections as it goes
  }

  // A new connection to `origin`, being made in `multi`; nothing when curl cannot start it.
  std::unique_ptr<Connection> connect(CURLM* multi, const std::string& origin) const {
    auto connection = std::make_unique<Connection>();
    connection->origin = origin;
    connection->curl.reset(curl_easy_init());
    CURL* curl = connection->curl.get();
    if (curl == nullptr) return nullptr;
    curl_easy_setopt(curl, CURLOPT_URL, origin.c_str());
    curl_easy_setopt(curl, CURLOPT_CONNECT_ONLY, 1L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    // ALPN offers http/1.1 only: the bytes on this connection are HTTP/1.1.
    curl_easy_setopt(curl, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));
    // Through a proxy, a tunnel: the requests name the origin's paths, not absolute URLs.
    curl_easy_setopt(curl, CURLOPT_HTTPPROXYTUNNEL, 1L);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.timeout.count()));
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout.count()));
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
    if (!options_.ca_file.empty()) {
      curl_easy_setopt(curl, CURLOPT_SSL_CTX_FUNCTION, add_ca_file);
      curl_easy_setopt(curl, CURLOPT_SSL_CTX_DATA, &options_.ca_file);
    }
    if (curl_multi_add_handle(multi, curl) != CURLM_OK) return nullptr;
    return connection;
  }

  std::string timed_out() const {
    return "no complete response within " + std::to_string(options_.timeout.count()) + " ms";
  }

  TransportOptions options_;
  std::mutex mutex_;  // guards the idle pools, shared by all threads and sets
  std::vector<ConnectionPool> pools_;
};

// Used from one thread; only the stop callback in wait() touches the multi from another, through
// curl_multi_wakeup, which is made for that.
class CurlRequestSet final : public RequestSet {
 public:
  explicit CurlRequestSet(CurlTransport& transport)
      : transport_(transport), pool_(transport.borrow_pool()) {}

  CurlRequestSet(const CurlRequestSet&) = delete;
  CurlRequestSet& operator=(const CurlRequestSet&) = delete;

  ~CurlRequestSet() override {
    for (auto& exchange : running_) close(std::move(exchange->connection));  // abandoned
    running_.clear();
    if (pool_.multi) transport_.give_back(std::move(pool_));
  }

  void start(std::uint64_t tag, const HttpRequest& request) override {
    std::string error;
    std::optional<std::string> wire = http1_request(request, error);
    if (!wire) {
      done_.emplace_back(tag, failure(error, request.base_url));
      return;
    }
    auto exchange = std::make_unique<Exchange>(tag, request, std::move(*wire), transport_);
    if (!attach(*exchange, false)) {
      done_.emplace_back(tag, failure("could not start a connection", request.base_url));
      return;
    }
    // On a connection already open the request goes out now, not at the next wait().
    if (exchange->connection->connected) progress(*exchange, done_);
    if (!exchange->answered) running_.push_back(std::move(exchange));
  }

  std::vector<Answer> wait(std::chrono::milliseconds timeout, std::stop_token stop) override {
    std::vector<Answer> answers = std::exchange(done_, {});
    if (running_.empty()) return answers;
    const Clock::time_point until = Clock::now() + timeout;
    CURLM* multi = pool_.multi.get();
    std::stop_callback wake(stop, [multi] { curl_multi_wakeup(multi); });
    for (;;) {
      if (!drive_connects(answers)) break;
      expire(answers);
      forget_answered();
      if (!answers.empty() || running_.empty() || stop.stop_requested()) break;
      const Clock::time_point now = Clock::now();
      if (now >= until) break;
      Clock::time_point next = until;
      polled_.clear();
      fds_.clear();
      for (const auto& exchange : running_) {
        next = std::min(next, exchange->deadline);
        if (!exchange->connection->connected) continue;
        const bool writing = exchange->written < exchange->wire.size();
        fds_.push_back({exchange->connection->socket,
                        static_cast<short>(writing ? CURL_WAIT_POLLOUT : CURL_WAIT_POLLIN), 0});
        polled_.push_back(exchange.get());
      }
      const auto left = std::max<std::int64_t>(
          0, std::chrono::ceil<std::chrono::milliseconds>(next - now).count());
      // Returns when one of ours or one of curl's sockets is ready, a curl timer is due, or
      // `wake` ran.
      const CURLMcode rc =
          curl_multi_poll(multi, fds_.data(), static_cast<unsigned>(fds_.size()),
                          static_cast<int>(std::min<std::int64_t>(left, INT_MAX)), nullptr);
      if (rc != CURLM_OK) {
        fail_all(curl_multi_strerror(rc), answers);
        break;
      }
      bool ready = false;
      for (std::size_t i = 0; i < fds_.size(); ++i) {
        if (fds_[i].revents == 0) continue;
        ready = true;
        progress(*polled_[i], answers);
      }
      // curl reports POLLIN and POLLOUT only: a socket with nothing but an error or a hang-up
      // would wake the poll at once, again and again. When no socket of ours said why the poll
      // returned, each is tried (a read that finds nothing costs one system call).
      if (!ready) {
        for (Exchange* exchange : polled_) progress(*exchange, answers);
      }
    }
    forget_answered();
    return answers;
  }

  std::size_t in_flight() const override { return running_.size() + done_.size(); }

 private:
  struct Exchange {
    Exchange(std::uint64_t tag, const HttpRequest& request, std::string wire,
             const CurlTransport& transport)
        : tag(tag),
          origin(request.base_url),
          head(request.method == "HEAD"),
          wire(std::move(wire)),
          deadline(Clock::now() + transport.options_.timeout),
          reader(head, transport.options_.max_body_bytes) {}
    std::uint64_t tag;
    std::string origin;
    bool head;
    std::string wire;  // the request's bytes
    std::size_t written = 0;
    Clock::time_point deadline;
    Http1ResponseReader reader;
    std::unique_ptr<Connection> connection;
    bool retried = false;
    bool answered = false;
  };

  // Gives `exchange` a connection to its origin: an idle one (unless `fresh`), or a new one.
  bool attach(Exchange& exchange, bool fresh) {
    auto& idle = pool_.idle;
    for (std::size_t i = idle.size(); !fresh && i-- > 0;) {
      if (idle[i]->origin != exchange.origin) continue;
      std::unique_ptr<Connection> connection = std::move(idle[i]);
      idle.erase(idle.begin() + static_cast<std::ptrdiff_t>(i));
      if (!still_open(*connection)) {
        close(std::move(connection));
        continue;
      }
      exchange.connection = std::move(connection);
      return true;
    }
    if (!pool_.multi) return false;
    exchange.connection = transport_.connect(pool_.multi.get(), exchange.origin);
    return exchange.connection != nullptr;
  }

  void close(std::unique_ptr<Connection> connection) {
    if (connection) curl_multi_remove_handle(pool_.multi.get(), connection->curl.get());
  }

  // Whether a connection idle for a while can carry a request: nothing to read on it. A server
  // that gave up on it has closed it, and may have said so first (some answer an idle
  // connection with a 408 as they close it), which must not be read as the next request's
  // answer. Checked only past a second of idleness, so the requests of a cycle, which follow one
  // another on a connection within microseconds, pay no extra system call.
  bool still_open(Connection& connection) {
    if (Clock::now() - connection.idle_since < std::chrono::seconds(1)) return true;
    std::size_t n = 0;
    return curl_easy_recv(connection.curl.get(), buffer_, sizeof buffer_, &n) == CURLE_AGAIN;
  }

  void keep(std::unique_ptr<Connection> connection) {
    connection->carried = true;
    connection->idle_since = Clock::now();
    auto& idle = pool_.idle;
    if (idle.size() >= CurlTransport::kIdleConnections) {
      close(std::move(idle.front()));
      idle.erase(idle.begin());
    }
    idle.push_back(std::move(connection));
  }

  void answer(Exchange& exchange, HttpResponse response, std::vector<Answer>& answers) {
    answers.emplace_back(exchange.tag, std::move(response));
    exchange.answered = true;
  }

  void forget_answered() {
    std::erase_if(running_, [](const auto& exchange) { return exchange->answered; });
  }

  // Runs the connects curl is making; answers those that failed. False when the multi broke.
  bool drive_connects(std::vector<Answer>& answers) {
    const bool connecting = std::any_of(running_.begin(), running_.end(), [](const auto& e) {
      return !e->answered && !e->connection->connected;
    });
    if (!connecting) return true;
    int still_running = 0;
    if (const CURLMcode rc = curl_multi_perform(pool_.multi.get(), &still_running);
        rc != CURLM_OK) {
      fail_all(curl_multi_strerror(rc), answers);
      return false;
    }
    int queued = 0;
    while (const CURLMsg* message = curl_multi_info_read(pool_.multi.get(), &queued)) {
      if (message->msg != CURLMSG_DONE) continue;
      const auto it = std::find_if(running_.begin(), running_.end(), [&](const auto& e) {
        return !e->answered && e->connection->curl.get() == message->easy_handle;
      });
      if (it == running_.end()) continue;
      Exchange& exchange = **it;
      const CURLcode result = message->data.result;
      if (result != CURLE_OK) {
        close(std::move(exchange.connection));
        answer(exchange,
               failure(result == CURLE_OPERATION_TIMEDOUT ? transport_.timed_out()
                                                          : std::string(curl_easy_strerror(result)),
                       exchange.origin),
               answers);
        continue;
      }
      curl_easy_getinfo(exchange.connection->curl.get(), CURLINFO_ACTIVESOCKET,
                        &exchange.connection->socket);
      exchange.connection->connected = true;
      progress(exchange, answers);
    }
    return true;
  }

  // Answers the exchanges past their deadline.
  void expire(std::vector<Answer>& answers) {
    const Clock::time_point now = Clock::now();
    for (auto& exchange : running_) {
      if (exchange->answered || now < exchange->deadline) continue;
      close(std::move(exchange->connection));
      answer(*exchange, failure(transport_.timed_out(), exchange->origin), answers);
    }
  }

  // Writes what is left of the request, reads what has arrived of the response; answers the
  // exchange when its response is complete or cannot be.
  void progress(Exchange& exchange, std::vector<Answer>& answers) {
    CURL* curl = exchange.connection->curl.get();
    while (exchange.written < exchange.wire.size()) {
      std::size_t n = 0;
      const CURLcode rc = curl_easy_send(curl, exchange.wire.data() + exchange.written,
                                         exchange.wire.size() - exchange.written, &n);
      if (rc == CURLE_AGAIN) return;
      if (rc != CURLE_OK) return lost(exchange, curl_easy_strerror(rc), answers);
      exchange.written += n;
    }
    for (;;) {
      std::size_t n = 0;
      const CURLcode rc = curl_easy_recv(curl, buffer_, sizeof buffer_, &n);
      if (rc == CURLE_AGAIN) return;
      if (rc != CURLE_OK) return lost(exchange, curl_easy_strerror(rc), answers);
      const auto state =
          n == 0 ? exchange.reader.closed() : exchange.reader.feed(std::string_view(buffer_, n));
      if (state == Http1ResponseReader::State::reading) continue;
      if (state == Http1ResponseReader::State::failed && !exchange.reader.started()) {
        return lost(exchange, exchange.reader.error(), answers);
      }
      return complete(exchange, answers);
    }
  }

  // The connection failed before any of the response arrived. On a connection that had carried
  // a response before, the server may have closed it while it was idle: the request goes again
  // once, on a new connection, as any HTTP client does.
  void lost(Exchange& exchange, const std::string& why, std::vector<Answer>& answers) {
    const bool stale = exchange.connection->carried && !exchange.reader.started();
    close(std::move(exchange.connection));
    if (stale && !exchange.retried) {
      exchange.retried = true;
      exchange.written = 0;
      exchange.reader = Http1ResponseReader(exchange.head, transport_.options_.max_body_bytes);
      if (attach(exchange, true)) return;  // progressed by drive_connects()
    }
    answer(exchange, failure(why, exchange.origin), answers);
  }

  void complete(Exchange& exchange, std::vector<Answer>& answers) {
    Http1ResponseReader& reader = exchange.reader;
    if (reader.state() == Http1ResponseReader::State::complete) {
      if (reader.reusable()) {
        keep(std::move(exchange.connection));
      } else {
        close(std::move(exchange.connection));
      }
      answer(exchange, reader.take(), answers);
      return;
    }
    close(std::move(exchange.connection));
    answer(exchange, failure(reader.error(), exchange.origin, reader.body_too_large()), answers);
  }

  void fail_all(const std::string& why, std::vector<Answer>& answers) {
    for (auto& exchange : running_) {
      if (exchange->answered) continue;
      close(std::move(exchange->connection));
      answer(*exchange, failure(why, exchange->origin), answers);
    }
  }

  CurlTransport& transport_;
  ConnectionPool pool_;
  std::vector<std::unique_ptr<Exchange>> running_;
  std::vector<Answer> done_;  // answered in start(), handed out by the next wait()
  std::vector<curl_waitfd> fds_;
  std::vector<Exchange*> polled_;  // the exchange of each of fds_
  char buffer_[64 * 1024];
};

HttpResponse CurlTransport::send(const HttpRequest& request) {
  CurlRequestSet set(*this);
  set.start(0, request);
  for (;;) {  // each request is answered by its deadline at the latest
    std::vector<RequestSet::Answer> answers = set.wait(options_.timeout, {});
    if (!answers.empty()) return std::move(answers.front().second);
  }
}

std::unique_ptr<RequestSet> CurlTransport::request_set() {
  return std::make_unique<CurlRequestSet>(*this);
}

}  // namespace

std::unique_ptr<Transport> make_curl_transport(TransportOptions options) {
  return std::make_unique<CurlTransport>(std::move(options));
}

}  // namespace swr::huaweicloud
