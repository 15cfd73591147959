// How the cloud client reports what it did, without knowing about metrics.
#pragma once

#include <stop_token>
#include <string_view>

#include "huaweicloud/transport.h"

namespace swr::huaweicloud {

class ApiObserver {
 public:
  virtual ~ApiObserver() = default;
  // api: sync_job, token, namespaces, repos; code: the HTTP status, or "network".
  virtual void on_request(std::string_view api, std::string_view code, double seconds) = 0;
  // Expiry of the IAM token or temporary keys in use, seconds since the epoch.
  virtual void on_token_expiry(double unix_seconds) = 0;
  // Whether the credentials were refused (true: IAM refused the password, or an API answered
  // that the signature, token or keys are not valid) or accepted (false: an SWR call succeeded).
  // Only the outcome of a request that tested the credentials is reported.
  virtual void on_credentials(bool /*refused*/) {}
};

// Sends and reports the call's code and latency under `api`; gives up when `stop` is requested.
HttpResponse send_observed(Transport& transport, const HttpRequest& request, ApiObserver& observer,
                           std::string_view api, std::stop_token stop = {});

class NullApiObserver final : public ApiObserver {
 public:
  void on_request(std::string_view, std::string_view, double) override {}
  void on_token_expiry(double) override {}
};

}  // namespace swr::huaweicloud
