// IAM tokens: by password from POST /v3/auth/tokens, or from a file the operator keeps fresh.
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "huaweicloud/authorizer.h"
#include "huaweicloud/error_body.h"
#include "log/logger.h"
#include "model/timestamp.h"

namespace swr::huaweicloud {

namespace {

using Clock_ = std::chrono::system_clock;
constexpr auto kRefusedBackoff = std::chrono::minutes(5);
constexpr auto kRenewRetry = std::chrono::seconds(30);
constexpr auto kForcedRenewalSpacing = std::chrono::seconds(10);

std::string describe_failure(const HttpResponse& response) {
  if (response.status == 0) return response.transport_error;
  const ApiErrorBody error = parse_error_body(response.body);
  std::string out = "HTTP " + std::to_string(response.status);
  if (!error.code.empty()) out += " " + error.code;
  if (!error.message.empty()) out += ": " + error.message;
  return out;
}

class PasswordAuthorizer final : public Authorizer {
 public:
  PasswordAuthorizer(PasswordIdentity identity, Transport& transport, ApiObserver& observer,
                     Clock& clock)
      : identity_(std::move(identity)), transport_(transport), observer_(observer), clock_(clock) {}

  Result<void, AuthorizeFailure> authorize(HttpRequest& request, std::stop_token stop) override {
    std::lock_guard lock(mutex_);
    const auto now = clock_.now();
    if (token_.empty() || now >= renew_at_) {
      if (now < next_attempt_) {
        if (!token_.empty() && now < expires_at_) {
          // Renewal failed recently; the old token is still good.
        } else {
          const auto wait = std::chrono::duration_cast<std::chrono::seconds>(next_attempt_ - now);
          return unexpected(AuthorizeFailure{"no IAM token: " + last_error_ + " (next attempt in " +
                                                 std::to_string(wait.count()) + "s)",
                                             password_refused_});
        }
      } else if (auto fetched = fetch(now, stop);
                 !fetched && (token_.empty() || now >= expires_at_)) {
        return unexpected(AuthorizeFailure{"no IAM token: " + fetched.error(), password_refused_});
      }
    }
    request.headers.emplace_back("X-Auth-Token", token_);
    return {};
  }

  bool invalidate(const HttpRequest& refused) override {
    std::lock_guard lock(mutex_);
    const auto now = clock_.now();
    // Already renewed, or dropped by another refused request and about to be renewed (the
    // requests in flight with the old token are all refused together).
    if (refused.header("X-Auth-Token") != token_) return !token_.empty() || now >= next_attempt_;
    // Tokens refused again and again are not helped by asking IAM again and again.
    if (now - last_forced_renewal_ < kForcedRenewalSpacing) return false;
    last_forced_renewal_ = now;
    token_.clear();
    renew_at_ = now;
    return now >= next_attempt_;
  }

  bool signs_requests() const override { return false; }

 private:
  Result<void> fetch(Clock_::time_point now, std::stop_token stop) {
    HttpRequest request;
    request.method = "POST";
    request.base_url = identity_.iam_endpoint;
    request.path = "/v3/auth/tokens";
    request.query = {{"nocatalog", "true"}};
    request.headers = {{"Content-Type", "application/json;charset=utf8"}};
    request.body = password_token_request_body(identity_);
    const HttpResponse response = send_observed(transport_, request, observer_, "token", stop);
    if (response.status == 201) {
      auto token = response.header("X-Subject-Token");
      auto expires = token_expires_at_us(response.body);
      if (token && !token->empty() && expires) {
        token_ = std::move(*token);
        expires_at_ = Clock_::time_point(std::chrono::microseconds(*expires));
        const auto life = expires_at_ - now;
        renew_at_ = now + life * 3 / 4;
        observer_.on_token_expiry(static_cast<double>(*expires) / 1e6);
        log::info("got an IAM token",
                  {{"api", "token"}, {"expires_at", format_timestamp_us(*expires)}});
        return {};
      }
      last_error_ = "IAM answered 201 without X-Subject-Token or token.expires_at";
    } else {
      last_error_ = "IAM token request failed: " + describe_failure(response);
    }
    const bool refused = response.status == 400 || response.status == 401 || response.status == 403;
    if (response.status == 401 || response.status == 403) observer_.on_credentials(true);
    password_refused_ = refused;
    next_attempt_ = now + (refused ? std::chrono::duration_cast<Clock_::duration>(kRefusedBackoff)
                                   : std::chrono::duration_cast<Clock_::duration>(kRenewRetry));
    log::warn(refused ? "IAM refused the password; not asking again for five minutes"
                      : "IAM token request failed",
              {{"api", "token"},
               {"code", response.code_label()},
               {"request_id", response.header("X-Request-Id").value_or("")},
               {"err", last_error_}});
    return unexpected(last_error_);
  }

  PasswordIdentity identity_;
  Transport& transport_;
  ApiObserver& observer_;
  Clock& clock_;
  mutable std::mutex mutex_;
  std::string token_;
  std::string last_error_;
  bool password_refused_ = false;
  Clock_::time_point renew_at_{}, expires_at_{}, next_attempt_{};
  Clock_::time_point last_forced_renewal_{};
};

class TokenFileAuthorizer final : public Authorizer {
 public:
  TokenFileAuthorizer(std::string path, std::string iam_endpoint, Transport& transport,
                      ApiObserver& observer)
      : path_(std::move(path)),
        iam_endpoint_(std::move(iam_endpoint)),
        transport_(transport),
        observer_(observer) {}

  Result<void, AuthorizeFailure> authorize(HttpRequest& request, std::stop_token) override {
    std::lock_guard lock(mutex_);
    if (auto read = reload_if_changed(); !read) {
      return unexpected(AuthorizeFailure{std::move(read.error())});
    }
    request.headers.emplace_back("X-Auth-Token", token_);
    return {};
  }

  bool invalidate(const HttpRequest& refused) override {
    std::lock_guard lock(mutex_);
    if (refused.header("X-Auth-Token") != token_) return !token_.empty();
    const std::string before = token_;
    if (!reload_if_changed()) return false;
    return token_ != before;
  }

  bool signs_requests() const override { return false; }

 private:
  Result<void> reload_if_changed() {
    struct stat st {};
    if (::stat(path_.c_str(), &st) != 0) {
      return unexpected("cannot read token_file " + path_ + ": " + std::strerror(errno));
    }
    const auto stamp = std::pair{st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec,
                                 static_cast<long long>(st.st_size)};
    if (!token_.empty() && stamp == stamp_) return {};
    std::ifstream in(path_, std::ios::binary);
    if (!in) return unexpected("cannot read token_file " + path_ + ": " + std::strerror(errno));
    std::ostringstream text;
    text << in.rdbuf();
    std::string token = text.str();
    while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) {
      token.pop_back();
    }
    while (!token.empty() && std::isspace(static_cast<unsigned char>(token.front()))) {
      token.erase(token.begin());
    }
    if (token.empty()) return unexpected("token_file " + path_ + " is empty");
    stamp_ = stamp;
    if (token == token_) return {};
    token_ = std::move(token);
    log::info("read the IAM token file", {{"file", path_}});
    learn_expiry();
    return {};
  }

  // GET /v3/auth/tokens validates a token and tells its expiry; without it the gauge stays unset.
  void learn_expiry() {
    HttpRequest request;
    request.base_url = iam_endpoint_;
    request.path = "/v3/auth/tokens";
    request.query = {{"nocatalog", "true"}};
    request.headers = {{"X-Auth-Token", token_}, {"X-Subject-Token", token_}};
    const HttpResponse response = send_observed(transport_, request, observer_, "token");
    if (response.status == 200) {
      if (auto expires = token_expires_at_us(response.body)) {
        observer_.on_token_expiry(static_cast<double>(*expires) / 1e6);
        return;
      }
    }
    log::warn("could not learn the expiry of the token in token_file",
              {{"api", "token"}, {"code", response.code_label()}, {"file", path_}});
  }

  std::string path_;
  std::string iam_endpoint_;
  Transport& transport_;
  ApiObserver& observer_;
  std::mutex mutex_;
  std::string token_;
  std::pair<long long, long long> stamp_{-1, -1};
};

}  // namespace

std::string password_token_request_body(const PasswordIdentity& id) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  auto str = [&](const std::string& s) {
    w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
  };
  w.StartObject();
  w.Key("auth");
  w.StartObject();
  w.Key("identity");
  w.StartObject();
  w.Key("methods");
  w.StartArray();
  w.String("password");
  w.EndArray();
  w.Key("password");
  w.StartObject();
  w.Key("user");
  w.StartObject();
  w.Key("domain");
  w.StartObject();
  w.Key("name");
  str(id.domain_name);
  w.EndObject();
  w.Key("name");
  str(id.user_name);
  w.Key("password");
  str(id.password);
  w.EndObject();
  w.EndObject();
  w.EndObject();
  w.Key("scope");
  w.StartObject();
  w.Key("project");
  w.StartObject();
  w.Key("name");
  str(id.project_name);
  w.EndObject();
  w.EndObject();
  w.EndObject();
  w.EndObject();
  return {buffer.GetString(), buffer.GetSize()};
}

std::optional<std::int64_t> token_expires_at_us(std::string_view body) {
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseIterativeFlag>(body.data(), body.size());
  if (doc.HasParseError() || !doc.IsObject()) return std::nullopt;
  const rapidjson::Value& root = doc;  // const iterators: clang's C++20 == is ambiguous otherwise
  auto token = root.FindMember("token");
  if (token == root.MemberEnd() || !token->value.IsObject()) return std::nullopt;
  auto expires = token->value.FindMember("expires_at");
  if (expires == token->value.MemberEnd() || !expires->value.IsString()) return std::nullopt;
  return parse_timestamp_us({expires->value.GetString(), expires->value.GetStringLength()});
}

std::unique_ptr<Authorizer> make_password_authorizer(PasswordIdentity identity,
                                                     Transport& transport, ApiObserver& observer,
                                                     Clock& clock) {
  return std::make_unique<PasswordAuthorizer>(std::move(identity), transport, observer, clock);
}

std::unique_ptr<Authorizer> make_token_file_authorizer(std::string token_file,
                                                       std::string iam_endpoint,
                                                       Transport& transport, ApiObserver& observer,
                                                       Clock& clock) {
  (void)clock;  // the file's own changes say when to re-read it
  return std::make_unique<TokenFileAuthorizer>(std::move(token_file), std::move(iam_endpoint),
                                               transport, observer);
}

}  // namespace swr::huaweicloud
