#include <chrono>

#include "huaweicloud/authorizer.h"
#include "huaweicloud/signer.h"
#include "model/timestamp.h"

namespace swr::huaweicloud {

namespace {

class AkSkAuthorizer final : public Authorizer {
 public:
  AkSkAuthorizer(AkSk keys, std::string project_id, const Clock& clock)
      : keys_(std::move(keys)),
        signing_key_(keys_.secret_key),
        project_id_(std::move(project_id)),
        clock_(clock) {}

  Result<void, AuthorizeFailure> authorize(HttpRequest& request, std::stop_token) override {
    const auto now =
        std::chrono::duration_cast<std::chrono::seconds>(clock_.now().time_since_epoch());
    request.headers.reserve(request.headers.size() + 5);
    request.headers.emplace_back("Host", request.host());
    request.headers.emplace_back("X-Sdk-Date", format_sdk_date(now.count()));
    if (!project_id_.empty()) request.headers.emplace_back("X-Project-Id", project_id_);
    if (!keys_.security_token.empty()) {
      request.headers.emplace_back("X-Security-Token", keys_.security_token);
    }
    std::string authorization =
        authorization_header(keys_.access_key, signing_key_, request.method, request.path,
                             request.query, request.headers, request.body);
    request.headers.emplace_back("Authorization", std::move(authorization));
    return {};
  }

  bool invalidate(const HttpRequest&) override { return false; }
  bool signs_requests() const override { return true; }

 private:
  AkSk keys_;
  SigningKey signing_key_;  // from keys_.secret_key
  std::string project_id_;
  const Clock& clock_;
};

}  // namespace

std::unique_ptr<Authorizer> make_aksk_authorizer(AkSk keys, std::string project_id,
                                                 const Clock& clock) {
  return std::make_unique<AkSkAuthorizer>(std::move(keys), std::move(project_id), clock);
}

}  // namespace swr::huaweicloud
