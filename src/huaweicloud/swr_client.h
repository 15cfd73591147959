// The SWR calls the exporter makes, with authentication, retries and accounting.
#pragma once

#include <chrono>
#include <mutex>
#include <random>
#include <stop_token>
#include <string>

#include "huaweicloud/api_observer.h"
#include "huaweicloud/authorizer.h"
#include "huaweicloud/rate_limiter.h"
#include "huaweicloud/retry_policy.h"
#include "huaweicloud/transport.h"
#include "model/clock.h"
#include "model/discovery_api.h"
#include "model/sync_job_api.h"

namespace swr::huaweicloud {

// `team/app` -> `team$app`, as SWR wants repository names in paths.
std::string repository_path_name(std::string_view repository);
// filter=limit::{L}|offset::{O}|order::desc
std::string sync_job_filter(std::int64_t offset, int limit);
// The request for one page of a repository's sync jobs, before credentials are added.
HttpRequest sync_job_request(const std::string& endpoint, const RepositoryRef& repository,
                             std::int64_t offset, int limit);

class SwrClient final : public SyncJobApi, public DiscoveryApi {
 public:
  SwrClient(std::string endpoint, Transport& transport, Authorizer& authorizer,
            ApiObserver& observer, Clock& clock, RateLimiter& limiter, RetryPolicy policy = {});

  PageResult list_sync_jobs(const RepositoryRef& repository, std::int64_t offset, int limit,
                            std::stop_token stop) override;
  // The pages in flight together through one RequestSet, on the calling thread; each page has
  // the same checks, retries and accounting as list_sync_jobs().
  void list_pages(PageSource& source, int in_flight, std::stop_token stop) override;
  void start_cycle(std::size_t repositories) override;

  NamesResult list_organizations(std::stop_token stop) override;
  ListingResult list_repositories(const std::string& organization, std::stop_token stop) override;
  SyncRulesResult list_sync_rules(const RepositoryRef& repository, std::stop_token stop) override;

  // Repositories per page of GET /v2/manage/repos (the API allows up to 1000; items carry their
  // tag lists, so pages stay moderate).
  static constexpr int kRepositoryPageSize = 500;

  // After a refused AK/SK signature no request goes out for this long (APIG locks a key pair
  // after five failures in a row).
  static constexpr std::chrono::minutes kAuthFailureBackoff{5};

 private:
  using Outcome = Result<HttpResponse, ApiFailure>;  // the response is a 2xx
  // One call's progress through its attempts.
  struct Attempts {
    int attempt = 1;
    bool renewed_token = false;
  };
  // What to do after an answer: done (with the answer or the failure), or send again after
  // `delay` (none: at once, with renewed credentials).
  struct Verdict {
    std::optional<Outcome> done;
    std::optional<std::chrono::milliseconds> delay;
  };
  Outcome call(std::string_view api, const HttpRequest& unsigned_request, std::string_view what,
               std::stop_token stop);
  // Credentials on `request`, unless requests are paused or none can be had.
  Result<void, ApiFailure> authorize(HttpRequest& request, std::string_view what,
                                     std::stop_token stop);
  Verdict judge(std::string_view api, const HttpRequest& sent, HttpResponse response,
                Attempts& attempts, std::string_view what);
  static PageResult page_result(Outcome outcome, const std::string& what);
  double jitter_unit();

  std::string endpoint_;
  Transport& transport_;
  Authorizer& authorizer_;
  ApiObserver& observer_;
  Clock& clock_;
  RateLimiter& limiter_;
  RetryPolicy policy_;
  RetryBudget budget_;

  std::mutex mutex_;  // guards the two below
  std::mt19937_64 random_{std::random_device{}()};
  std::chrono::system_clock::time_point auth_blocked_until_{};
};

}  // namespace swr::huaweicloud
