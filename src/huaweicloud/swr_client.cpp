#include "huaweicloud/swr_client.h"

#include <algorithm>
#include <deque>
#include <unordered_map>
#include <unordered_set>

#include "huaweicloud/content_range.h"
#include "huaweicloud/discovery_json.h"
#include "huaweicloud/error_body.h"
#include "huaweicloud/sync_job_json.h"
#include "log/logger.h"

namespace swr::huaweicloud {

namespace {

bool is_retryable(const HttpResponse& response, const ApiErrorBody& error) {
  return (response.status == 0 && !response.body_too_large) || response.status == 429 ||
         response.status >= 500 || is_throttling_code(error.code);
}

std::string describe(const HttpResponse& response, const ApiErrorBody& error) {
  std::string out;
  if (response.status == 0) {
    out = response.transport_error;
  } else {
    out = "HTTP " + std::to_string(response.status);
    if (!error.code.empty()) out += " " + error.code;
    if (!error.message.empty()) out += ": " + error.message;
  }
  if (auto id = response.header("X-Request-Id")) out += " (request_id " + *id + ")";
  return out;
}

}  // namespace

std::string repository_path_name(std::string_view repository) {
  std::string out(repository);
  std::replace(out.begin(), out.end(), '/', '$');
  return out;
}

std::string sync_job_filter(std::int64_t offset, int limit) {
  return "limit::" + std::to_string(limit) + "|offset::" + std::to_string(offset) + "|order::desc";
}

HttpRequest sync_job_request(const std::string& endpoint, const RepositoryRef& repository,
                             std::int64_t offset, int limit) {
  HttpRequest request;
  request.method = "GET";
  request.base_url = endpoint;
  request.path = "/v2/manage/namespaces/" + repository.organization + "/repos/" +
                 repository_path_name(repository.repository) + "/sync_job";
  request.query = {{"filter", sync_job_filter(offset, limit)}};
  request.headers = {{"Content-Type", "application/json"}};
  return request;
}

SwrClient::SwrClient(std::string endpoint, Transport& transport, Authorizer& authorizer,
                     ApiObserver& observer, Clock& clock, RateLimiter& limiter, RetryPolicy policy)
    : endpoint_(std::move(endpoint)),
      transport_(transport),
      authorizer_(authorizer),
      observer_(observer),
      clock_(clock),
      limiter_(limiter),
      policy_(policy) {}

void SwrClient::start_cycle(std::size_t repositories) {
  // Enough for every repository to be retried a couple of times, never unbounded.
  budget_.reset(static_cast<std::int64_t>(std::max<std::size_t>(16, repositories * 2)));
}

double SwrClient::jitter_unit() {
  std::lock_guard lock(mutex_);
  return std::uniform_real_distribution<double>(0.0, 1.0)(random_);
}

namespace {

std::string sync_job_what(const RepositoryRef& repository, std::int64_t offset) {
  return "sync_job " + repository.organization + "/" + repository.repository + " offset " +
         std::to_string(offset);
}

}  // namespace

PageResult SwrClient::list_sync_jobs(const RepositoryRef& repository, std::int64_t offset,
                                     int limit, std::stop_token stop) {
  const std::string what = sync_job_what(repository, offset);
  return page_result(
      call("sync_job", sync_job_request(endpoint_, repository, offset, limit), what, stop), what);
}

void SwrClient::list_pages(PageSource& source, int in_flight, std::stop_token stop) {
  using std::chrono::milliseconds;
  struct Call {
    PageQuery query;
    std::string what;
    HttpRequest sent;  // made afresh for each attempt
    Attempts attempts;
    std::chrono::system_clock::time_point not_before{};  // no sooner than this
    bool has_token = false;                              // of the rate limiter, for not_before
    std::chrono::steady_clock::time_point started{};
  };
  const auto slots = static_cast<std::size_t>(std::max(1, in_flight));
  const std::unique_ptr<RequestSet> set = transport_.request_set();
  std::unordered_map<std::uint64_t, Call> calls;  // started by the source, not yet done
  std::deque<std::uint64_t> waiting;              // calls not in flight, in the order they came
  std::uint64_t next_tag = 0;
  auto finish = [&](std::uint64_t tag, Outcome outcome) {
    auto node = calls.extract(tag);
    source.done(node.mapped().query, page_result(std::move(outcome), node.mapped().what));
  };

  while (!stop.stop_requested()) {
    while (calls.size() < slots) {
      const std::optional<PageQuery> query = source.next();
      if (!query) break;
      const std::uint64_t tag = next_tag++;
      Call& call = calls[tag];
      call.query = *query;
      call.what = sync_job_what(*query->repository, query->offset);
      waiting.push_back(tag);
    }
    if (calls.empty()) return;

    // Send what is due, in the order it came: a rate-limiter token first, then credentials.
    const auto now = clock_.now();
    std::optional<std::chrono::system_clock::time_point> earliest;
    for (std::size_t n = waiting.size(); n > 0; --n) {
      const std::uint64_t tag = waiting.front();
      waiting.pop_front();
      Call& call = calls.at(tag);
      if (!call.has_token && call.not_before <= now) {
        call.has_token = true;
        call.not_before = now + limiter_.reserve();
      }
      if (call.not_before > now) {
        if (!earliest || call.not_before < *earliest) earliest = call.not_before;
        waiting.push_back(tag);
        continue;
      }
      call.has_token = false;
      call.sent =
          sync_job_request(endpoint_, *call.query.repository, call.query.offset, call.query.limit);
      if (auto authorized = authorize(call.sent, call.what, stop); !authorized) {
        finish(tag, unexpected(std::move(authorized.error())));
        continue;
      }
      call.started = std::chrono::steady_clock::now();
      set->start(tag, call.sent);
    }

    const milliseconds until_due =
        earliest ? std::max(milliseconds{1}, std::chrono::ceil<milliseconds>(*earliest - now))
                 : milliseconds{60'000};
    if (set->in_flight() == 0) {
      if (earliest && !clock_.sleep_for(until_due, stop)) return;
      continue;
    }
    for (auto& [tag, response] : set->wait(until_due, stop)) {
      Call& call = calls.at(tag);
      observer_.on_request(
          "sync_job", response.code_label(),
          std::chrono::duration<double>(std::chrono::steady_clock::now() - call.started).count());
      Verdict verdict = judge("sync_job", call.sent, std::move(response), call.attempts, call.what);
      if (verdict.done) {
        finish(tag, std::move(*verdict.done));
        continue;
      }
      call.not_before = clock_.now() + verdict.delay.value_or(milliseconds{0});
      waiting.push_back(tag);
    }
  }
}

PageResult SwrClient::page_result(Outcome outcome, const std::string& what) {
  if (!outcome) return unexpected(std::move(outcome.error()));
  Result<std::vector<SyncJob>> parsed = parse_sync_jobs_in_place(outcome->body);
  if (!parsed) {
    std::string message = what + ": bad response body: " + parsed.error();
    if (auto id = outcome->header("X-Request-Id")) message += " (request_id " + *id + ")";
    return unexpected(ApiFailure{std::move(message), false});
  }
  JobPage page{std::move(*parsed), std::nullopt};
  if (auto range = outcome->header("Content-Range")) {
    page.total = content_range_total(*range);
  }
  return page;
}

namespace {

HttpRequest swr_request(const std::string& endpoint, std::string path, KeyValues query = {}) {
  HttpRequest request;
  request.base_url = endpoint;
  request.path = std::move(path);
  request.query = std::move(query);
  request.headers = {{"Content-Type", "application/json"}};
  return request;
}

}  // namespace

NamesResult SwrClient::list_organizations(std::stop_token stop) {
  const std::string what = "namespaces";
  Outcome outcome = call("namespaces", swr_request(endpoint_, "/v2/manage/namespaces"), what, stop);
  if (!outcome) return unexpected(std::move(outcome.error()));
  Result<std::vector<std::string>> parsed = parse_namespaces(outcome->body);
  if (!parsed) return unexpected(ApiFailure{what + ": bad response body: " + parsed.error()});
  return std::move(*parsed);
}

ListingResult SwrClient::list_repositories(const std::string& organization, std::stop_token stop) {
  ListingResult out;
  std::vector<RepositoryListing> entries;
  std::unordered_map<std::string, std::size_t> seen;  // name -> position in entries
  for (std::int64_t offset = 0;; offset += kRepositoryPageSize) {
    const std::string what = "repos " + organization + " offset " + std::to_string(offset);
    const std::string filter = "namespace::" + organization +
                               "|limit::" + std::to_string(kRepositoryPageSize) +
                               "|offset::" + std::to_string(offset);
    ++out.requests;
    Outcome outcome =
        call("repos", swr_request(endpoint_, "/v2/manage/repos", {{"filter", filter}}), what, stop);
    if (!outcome) {
      out.entries = unexpected(std::move(outcome.error()));
      return out;
    }
    Result<ListingPage> parsed = parse_repositories(outcome->body, organization);
    if (!parsed) {
      out.entries = unexpected(ApiFailure{what + ": bad response body: " + parsed.error()});
      return out;
    }
    const std::size_t before = entries.size();
    bool repeated = false;
    for (RepositoryListing& entry : parsed->entries) {
      const auto [it, inserted] = seen.try_emplace(entry.name, entries.size());
      if (inserted) {
        entries.push_back(std::move(entry));
        continue;
      }
      // Twice in one listing: which entry tells the truth cannot be known.
      repeated = true;
      RepositoryListing& first = entries[it->second];
      first.fingerprint.clear();
      first.problem = "listed more than once";
    }
    // A short page ends it; so does a page of nothing new (a server ignoring the offset).
    if (parsed->items < static_cast<std::size_t>(kRepositoryPageSize)) break;
    if (entries.size() == before && (repeated || parsed->entries.size() == parsed->items)) break;
    if (offset > 10'000'000) break;
  }
  out.entries = std::move(entries);
  return out;
}

SyncRulesResult SwrClient::list_sync_rules(const RepositoryRef& repository, std::stop_token stop) {
  const std::string what = "sync_repo " + repository.organization + "/" + repository.repository;
  Outcome outcome =
      call("sync_repo",
           swr_request(endpoint_, "/v2/manage/namespaces/" + repository.organization + "/repos/" +
                                      repository_path_name(repository.repository) + "/sync_repo"),
           what, stop);
  if (!outcome) return unexpected(std::move(outcome.error()));
  Result<std::vector<SyncRule>> parsed = parse_sync_rule_details(outcome->body);
  if (!parsed) return unexpected(ApiFailure{what + ": bad response body: " + parsed.error()});
  return std::move(*parsed);
}

SwrClient::Outcome SwrClient::call(std::string_view api, const HttpRequest& unsigned_request,
                                   std::string_view what, std::stop_token stop) {
  Attempts attempts;
  while (true) {
    HttpRequest request = unsigned_request;
    if (auto authorized = authorize(request, what, stop); !authorized) {
      return unexpected(std::move(authorized.error()));
    }
    if (!limiter_.acquire(stop)) {
      return unexpected(
          ApiFailure{std::string(what) + ": stopped while waiting for the rate limit", false});
    }
    HttpResponse response = send_observed(transport_, request, observer_, api, stop);
    if (stop.stop_requested())
      return unexpected(ApiFailure{std::string(what) + ": stopped", false});
    Verdict verdict = judge(api, request, std::move(response), attempts, what);
    if (verdict.done) return std::move(*verdict.done);
    if (verdict.delay && !clock_.sleep_for(*verdict.delay, stop)) {
      return unexpected(ApiFailure{std::string(what) + ": stopped while waiting to retry", false});
    }
  }
}

Result<void, ApiFailure> SwrClient::authorize(HttpRequest& request, std::string_view what,
                                              std::stop_token stop) {
  {
    std::lock_guard lock(mutex_);
    if (clock_.now() < auth_blocked_until_) {
      return unexpected(ApiFailure{
          std::string(what) + ": not sent: the AK/SK signature was refused recently; waiting five "
                              "minutes before trying again so the key pair is not locked",
          true});
    }
  }
  if (auto authorized = authorizer_.authorize(request, stop); !authorized) {
    const AuthorizeFailure& failure = authorized.error();
    return unexpected(ApiFailure{std::string(what) + ": " + failure.message, failure.refused});
  }
  return {};
}

SwrClient::Verdict SwrClient::judge(std::string_view api, const HttpRequest& sent,
                                    HttpResponse response, Attempts& attempts,
                                    std::string_view what) {
  if (response.status >= 200 && response.status < 300) {
    limiter_.on_success();
    observer_.on_credentials(false);
    return {Outcome{std::move(response)}, std::nullopt};
  }
  auto fail = [&](std::string reason, bool authentication, bool not_found = false) {
    return Verdict{Outcome{unexpected(ApiFailure{std::string(what) + ": " + std::move(reason),
                                                 authentication, not_found})},
                   std::nullopt};
  };

  const ApiErrorBody error =
      response.status == 0 ? ApiErrorBody{} : parse_error_body(response.body);
  const std::string reason = describe(response, error);
  const std::string request_id = response.header("X-Request-Id").value_or("");

  const bool refused =
      response.status == 401 || (response.status == 403 && is_gateway_auth_code(error.code));
  if (is_credentials_refusal(response.status, error.code)) observer_.on_credentials(true);
  if (refused) {
    if (authorizer_.signs_requests()) {
      std::lock_guard lock(mutex_);
      auth_blocked_until_ = clock_.now() + kAuthFailureBackoff;
      log::error("the AK/SK signature was refused; pausing all requests for five minutes",
                 {{"api", std::string(api)},
                  {"code", response.code_label()},
                  {"request_id", request_id},
                  {"err", reason}});
      return fail(reason, true);
    }
    if (!attempts.renewed_token && authorizer_.invalidate(sent)) {
      attempts.renewed_token = true;
      log::info(
          "the API refused the token; getting a new one and retrying once",
          {{"api", std::string(api)}, {"code", response.code_label()}, {"request_id", request_id}});
      return {std::nullopt, std::nullopt};  // again at once, not counted as an attempt
    }
    return fail(reason, true);
  }

  const bool throttled = response.status == 429 || is_throttling_code(error.code);
  if (throttled) limiter_.on_throttled();
  if (!is_retryable(response, error) || attempts.attempt >= policy_.max_attempts ||
      !budget_.take()) {
    return fail(reason, false, response.status == 404);
  }
  std::chrono::milliseconds delay = backoff_delay(policy_, attempts.attempt, jitter_unit());
  if (throttled) {
    const auto retry_after = response.header("Retry-After");
    auto wait = retry_after ? parse_retry_after(*retry_after) : std::nullopt;
    delay = std::min(wait.value_or(policy_.throttle_delay + delay / 4), policy_.max_retry_after);
  }
  log::Fields fields = {{"api", std::string(api)}, {"code", response.code_label()}};
  if (!request_id.empty()) fields.emplace_back("request_id", request_id);  // none if no answer
  fields.emplace_back("attempt", std::to_string(attempts.attempt));
  fields.emplace_back("delay_ms", std::to_string(delay.count()));
  fields.emplace_back("err", reason);
  log::debug("retrying", fields);
  ++attempts.attempt;
  return {std::nullopt, delay};
}

}  // namespace swr::huaweicloud
