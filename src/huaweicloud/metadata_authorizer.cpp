// Temporary AK/SK from the cloud's own metadata service (ECS, CCE nodes with an agency): a session
// token by PUT, then the keys and their security token, renewed before they expire.
#include <rapidjson/document.h>

#include <memory>
#include <mutex>

#include "huaweicloud/authorizer.h"
#include "huaweicloud/signer.h"
#include "log/logger.h"
#include "model/timestamp.h"

namespace swr::huaweicloud {

namespace {

using SysClock = std::chrono::system_clock;
// The SDKs renew when less than 40 minutes remain; shorter-lived keys at half their life.
constexpr auto kRenewBefore = std::chrono::minutes(40);
constexpr auto kRetryAfterFailure = std::chrono::seconds(30);

class MetadataAuthorizer final : public Authorizer {
 public:
  MetadataAuthorizer(std::string endpoint, std::string project_id, Transport& transport,
                     ApiObserver& observer, Clock& clock)
      : endpoint_(std::move(endpoint)),
        project_id_(std::move(project_id)),
        transport_(transport),
        observer_(observer),
        clock_(clock) {}

  Result<void, AuthorizeFailure> authorize(HttpRequest& request, std::stop_token stop) override {
    std::unique_lock lock(mutex_);
    const auto now = clock_.now();
    if (keys_.access_key.empty() || now >= renew_at_) {
      if (now < next_attempt_ && (keys_.access_key.empty() || now >= expires_at_)) {
        return unexpected(
            AuthorizeFailure{"no temporary keys from the metadata service: " + last_error_});
      }
      if (now >= next_attempt_) {
        if (auto fetched = fetch(now, stop);
            !fetched && (keys_.access_key.empty() || now >= expires_at_)) {
          return unexpected(
              AuthorizeFailure{"no temporary keys from the metadata service: " + fetched.error()});
        }
      }
    }
    const AkSk keys = keys_;
    const std::shared_ptr<const SigningKey> signing_key = signing_key_;
    lock.unlock();
    const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch());
    request.headers.emplace_back("Host", request.host());
    request.headers.emplace_back("X-Sdk-Date", format_sdk_date(seconds.count()));
    if (!project_id_.empty()) request.headers.emplace_back("X-Project-Id", project_id_);
    request.headers.emplace_back("X-Security-Token", keys.security_token);
    std::string authorization =
        authorization_header(keys.access_key, *signing_key, request.method, request.path,
                             request.query, request.headers, request.body);
    request.headers.emplace_back("Authorization", std::move(authorization));
    return {};
  }

  // Refused keys may have been revoked early: fetch new ones once, not in a loop.
  bool invalidate(const HttpRequest& refused) override {
    std::lock_guard lock(mutex_);
    const auto auth = parse_authorization(refused.header("Authorization").value_or(""));
    if (!auth || auth->access_key != keys_.access_key) return !keys_.access_key.empty();
    const auto now = clock_.now();
    if (now - last_forced_ < std::chrono::seconds(10)) return false;
    last_forced_ = now;
    keys_ = {};
    signing_key_.reset();
    return now >= next_attempt_;
  }

  bool signs_requests() const override { return false; }

 private:
  HttpResponse timed(const HttpRequest& request, std::stop_token stop) {
    return send_observed(transport_, request, observer_, "metadata", stop);
  }

  Result<void> fetch(SysClock::time_point now, std::stop_token stop) {
    HttpRequest session;
    session.method = "PUT";
    session.base_url = endpoint_;
    session.path = "/meta-data/latest/api/token";
    session.headers = {{"X-Metadata-Token-Ttl-Seconds", "21600"}};
    const HttpResponse token = timed(session, stop);
    std::string error;
    if (token.status != 200 || token.body.empty()) {
      error = "PUT /meta-data/latest/api/token: " +
              (token.status == 0 ? token.transport_error : "HTTP " + std::to_string(token.status));
    } else {
      HttpRequest keys;
      keys.base_url = endpoint_;
      keys.path = "/openstack/latest/securitykey";
      keys.headers = {{"X-Metadata-Token", token.body}};
      const HttpResponse answer = timed(keys, stop);
      if (answer.status != 200) {
        error =
            "GET /openstack/latest/securitykey: " +
            (answer.status == 0 ? answer.transport_error : "HTTP " + std::to_string(answer.status));
      } else if (auto parsed = parse(answer.body)) {
        keys_ = parsed->first;
        signing_key_ = std::make_shared<const SigningKey>(keys_.secret_key);
        expires_at_ = SysClock::time_point(std::chrono::microseconds(parsed->second));
        const auto life = expires_at_ - now;
        renew_at_ = life > 2 * kRenewBefore ? expires_at_ - kRenewBefore : now + life / 2;
        observer_.on_token_expiry(static_cast<double>(parsed->second) / 1e6);
        log::info("got temporary keys from the metadata service",
                  {{"api", "metadata"}, {"expires_at", format_timestamp_us(parsed->second)}});
        return {};
      } else {
        error =
            "the security key answer has no credential.access, secret, securitytoken and "
            "expires_at";
      }
    }
    last_error_ = error;
    next_attempt_ = now + kRetryAfterFailure;
    log::warn("could not get temporary keys from the metadata service",
              {{"api", "metadata"}, {"err", error}});
    return unexpected(std::move(error));
  }

  static std::optional<std::pair<AkSk, std::int64_t>> parse(std::string_view body) {
    rapidjson::Document doc;
    doc.Parse<rapidjson::kParseIterativeFlag>(body.data(), body.size());
    if (doc.HasParseError() || !doc.IsObject()) return std::nullopt;
    const rapidjson::Value& root = doc;  // const iterators: clang's C++20 == is ambiguous
    auto credential = root.FindMember("credential");
    if (credential == root.MemberEnd() || !credential->value.IsObject()) return std::nullopt;
    const auto& c = credential->value;
    auto text = [&](const char* key) -> std::optional<std::string> {
      auto it = c.FindMember(key);
      if (it == c.MemberEnd() || !it->value.IsString()) return std::nullopt;
      return std::string(it->value.GetString(), it->value.GetStringLength());
    };
    const auto access = text("access"), secret = text("secret"), token = text("securitytoken"),
               expires = text("expires_at");
    if (!access || !secret || !token || !expires || access->empty()) return std::nullopt;
    const auto expires_us = parse_timestamp_us(*expires);
    if (!expires_us) return std::nullopt;
    return std::pair{AkSk{*access, *secret, *token}, *expires_us};
  }

  std::string endpoint_;
  std::string project_id_;
  Transport& transport_;
  ApiObserver& observer_;
  Clock& clock_;
  std::mutex mutex_;
  AkSk keys_;
  std::shared_ptr<const SigningKey> signing_key_;  // from keys_.secret_key while it is set
  std::string last_error_;
  SysClock::time_point renew_at_{}, expires_at_{}, next_attempt_{}, last_forced_{};
};

}  // namespace

std::unique_ptr<Authorizer> make_metadata_authorizer(std::string endpoint, std::string project_id,
                                                     Transport& transport, ApiObserver& observer,
                                                     Clock& clock) {
  return std::make_unique<MetadataAuthorizer>(std::move(endpoint), std::move(project_id), transport,
                                              observer, clock);
}

}  // namespace swr::huaweicloud
