#include "huaweicloud/transport.h"

#include "huaweicloud/ascii.h"

namespace swr::huaweicloud {

std::string HttpRequest::host() const {
  std::string_view rest = base_url;
  const std::size_t scheme = rest.find("://");
  if (scheme != std::string_view::npos) rest.remove_prefix(scheme + 3);
  const std::size_t slash = rest.find('/');
  if (slash != std::string_view::npos) rest = rest.substr(0, slash);
  return std::string(rest);
}

std::string HttpRequest::target() const {
  std::string out = canonical_uri(path);
  if (out.size() > 1) out.pop_back();  // signed with the trailing slash, sent without it
  if (!query.empty()) {
    out.push_back('?');
    bool first = true;
    for (const auto& [k, v] : query) {
      if (!first) out.push_back('&');
      first = false;
      out += percent_encode(k);
      out.push_back('=');
      out += percent_encode(v);
    }
  }
  return out;
}

std::optional<std::string> HttpRequest::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (iequals(k, name)) return v;
  }
  return std::nullopt;
}

namespace {

// Each request answered as it is started; for transports without a concurrent interface.
class SequentialRequestSet final : public RequestSet {
 public:
  explicit SequentialRequestSet(Transport& transport) : transport_(transport) {}
  void start(std::uint64_t tag, const HttpRequest& request) override {
    answers_.emplace_back(tag, transport_.send(request));
  }
  std::vector<Answer> wait(std::chrono::milliseconds, std::stop_token) override {
    return std::exchange(answers_, {});
  }
  std::size_t in_flight() const override { return answers_.size(); }

 private:
  Transport& transport_;
  std::vector<Answer> answers_;
};

}  // namespace

HttpResponse Transport::send(const HttpRequest& request, std::stop_token stop) {
  const std::unique_ptr<RequestSet> set = request_set();
  set->start(0, request);
  // Each request is answered by its own deadline at the latest, unless stopped first.
  for (;;) {
    std::vector<RequestSet::Answer> answers = set->wait(std::chrono::hours(1), stop);
    if (!answers.empty()) return std::move(answers.front().second);
    if (stop.stop_requested()) break;
  }
  HttpResponse stopped;
  stopped.transport_error = "stopped before the response (" + request.base_url + ")";
  return stopped;
}

std::unique_ptr<RequestSet> Transport::request_set() {
  return std::make_unique<SequentialRequestSet>(*this);
}

std::optional<std::string> HttpResponse::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (iequals(k, name)) return v;
  }
  return std::nullopt;
}

}  // namespace swr::huaweicloud
