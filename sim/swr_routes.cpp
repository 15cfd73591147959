// SWR: sync jobs, sync rules, organizations and repositories, behind the gateway's checks.
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <span>

#include "error_bodies.h"
#include "filter.h"
#include "http_util.h"
#include "routes.h"

namespace swr::sim {

namespace {

using httplib::Request;
using httplib::Response;
using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

constexpr std::string_view kBadRequest = "SVCSTG.SWR.4000000";
constexpr std::string_view kUnauthorized = "SVCSTG.SWR.4010000";
constexpr std::string_view kForbidden = "SVCSTG.SWR.4030000";
constexpr std::string_view kNoOrganization = "SVCSTG.SWR.4040002";
constexpr std::string_view kNoRepository = "SVCSTG.SWR.4040003";
constexpr std::string_view kServerError = "SVCSTG.SWR.5000000";

void put(Writer& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}
void field(Writer& w, std::string_view key, std::string_view value) {
  put(w, key);
  put(w, value);
}

enum class Caller { kToken, kAkSk };

// One SWR request: the gateway's checks, then the answer in the right shape.
class SwrCall {
 public:
  SwrCall(SimState& state, const Request& req, Response& res)
      : state_(state), req_(req), res_(res), query_(decode_query(req.target)) {}

  // Authentication, X-Project-Id, Content-Type and the query's parameter names (those of
  // `allowed_query` and `also_allowed`). When it returns nothing the error answer is already
  // written.
  std::optional<Caller> admit(std::initializer_list<std::string_view> allowed_query,
                              std::span<const std::string_view> also_allowed = {}) {
    const std::optional<Caller> caller = authenticate();
    if (!caller) return std::nullopt;
    if (req_.has_header("X-Project-Id") &&
        req_.get_header_value("X-Project-Id") != state_.config.project_id) {
      error(403, kForbidden, "X-Project-Id does not match the project of this region");
      return std::nullopt;
    }
    if (!is_json_content_type(req_.get_header_value("Content-Type"))) {
      client_error(400, kBadRequest, "Content-Type must be application/json");
      return std::nullopt;
    }
    for (std::size_t i = 0; i < query_.size(); ++i) {
      const std::string& name = query_[i].first;
      if (std::find(allowed_query.begin(), allowed_query.end(), name) == allowed_query.end() &&
          std::find(also_allowed.begin(), also_allowed.end(), name) == also_allowed.end()) {
        client_error(400, kBadRequest, "unsupported query parameter '" + name + "'");
        return std::nullopt;
      }
      for (std::size_t j = 0; j < i; ++j) {
        if (query_[j].first == name) {
          client_error(400, kBadRequest, "query parameter '" + name + "' is given twice");
          return std::nullopt;
        }
      }
    }
    return caller;
  }

  const std::string* query(std::string_view name) const {
    for (const auto& [k, v] : query_) {
      if (k == name) return &v;
    }
    return nullptr;
  }

  // 400 and 404 come in the legacy array shape when configured.
  void client_error(int status, std::string_view code, std::string_view message) {
    if (state_.config.legacy_error_bodies) {
      send(status, swr_legacy_error_body(code, message));
    } else {
      send(status, swr_error_body(code, message));
    }
  }
  void error(int status, std::string_view code, std::string_view message) {
    if (status == 401) state_.stats.count_auth_failure();
    send(status, swr_error_body(code, message));
  }
  void gateway_error(int status, std::string_view code, std::string_view message) {
    if (status == 401) state_.stats.count_auth_failure();
    send(status, apig_error_body(code, message, request_id_of(res_)));
  }
  void not_found(Lookup lookup, const RepositoryRef& ref) {
    if (lookup == Lookup::kNoOrganization) {
      client_error(404, kNoOrganization, "Namespace " + ref.organization + " not found");
    } else {
      client_error(404, kNoRepository, "Repository " + ref.repository + " not found");
    }
  }
  void send(int status, const std::string& body) {
    res_.status = status;
    res_.set_content(body, kJsonType);
  }

 private:
  std::optional<Caller> authenticate() {
    const std::string authorization = req_.get_header_value("Authorization");
    if (authorization.starts_with("SDK-HMAC-SHA256")) {
      const AkSkResult result =
          state_.aksk.verify(authorization, to_received(req_), state_.now_us());
      switch (result.outcome) {
        case AkSkOutcome::kAccepted:
          return Caller::kAkSk;
        case AkSkOutcome::kLocked:
          gateway_error(401, "APIG.0301",
                        "Incorrect IAM authentication information: " + result.reason);
          return std::nullopt;
        case AkSkOutcome::kRejected:
          gateway_error(401, "APIG.0301",
                        "Incorrect IAM authentication information: verify aksk signature fail, " +
                            result.reason);
          return std::nullopt;
      }
    }
    const std::string token = req_.get_header_value("X-Auth-Token");
    if (!token.empty()) {
      if (state_.tokens.find_live(token, state_.now_us())) return Caller::kToken;
      error(401, kUnauthorized, "Authentication failed: the token is invalid or has expired");
      return std::nullopt;
    }
    error(401, kUnauthorized, "Authentication required: send X-Auth-Token or sign with AK/SK");
    return std::nullopt;
  }

  SimState& state_;
  const Request& req_;
  Response& res_;
  huaweicloud::KeyValues query_;
};

RepositoryRef repository_from_path(const Request& req) {
  std::string repo = req.matches[2];
  std::replace(repo.begin(), repo.end(), '$', '/');
  return {req.matches[1], repo};
}

void write_job(Writer& w, const SimJob& job) {
  w.StartObject();
  put(w, "id");
  w.Int64(job.id);
  field(w, "createdAt", job.created_at);
  field(w, "updatedAt", job.updated_at);
  field(w, "namespace", job.organization);
  field(w, "repoName", job.repository);
  field(w, "tag", job.tag);
  field(w, "remoteRegionId", job.remote_region);
  field(w, "remoteNamespace", job.remote_organization);
  field(w, "status", job.status);
  put(w, "override");
  w.Bool(job.override_image);
  field(w, "domainID", job.domain_id);
  field(w, "domainName", job.domain_name);
  field(w, "syncOperatorId", job.operator_id);
  field(w, "syncOperatorName", job.operator_name);
  w.EndObject();
}

std::string content_range(std::size_t offset, std::size_t count, std::size_t total) {
  return std::to_string(offset) + "-" + std::to_string(count) + "/" + std::to_string(total);
}

// truncated_body, short_read: the Content-Length of the whole body, half of it on the wire, then
// the connection closes (a provider that returns false makes cpp-httplib drop the connection).
void send_short_read(Response& res, std::string body) {
  auto whole = std::make_shared<const std::string>(std::move(body));
  res.status = 200;
  res.set_content_provider(whole->size(), kJsonType,
                           [whole](std::size_t offset, std::size_t, httplib::DataSink& sink) {
                             if (offset == 0) sink.write(whole->data(), whole->size() / 2);
                             return false;
                           });
}

// huge_body: a valid JSON array of jobs about `bytes` long, made chunk by chunk as the client
// reads it, so the simulator never holds more than one chunk of it.
class HugeBody {
 public:
  HugeBody(SimJob model, std::int64_t bytes)
      : model_(std::move(model)), bytes_(static_cast<std::size_t>(bytes)) {}

  bool next(std::size_t offset, httplib::DataSink& sink) {
    constexpr std::size_t kChunk = 64 * 1024;
    std::string chunk = offset == 0 ? "[" : "";
    while (chunk.size() < kChunk && offset + chunk.size() + 1 < bytes_) {
      if (written_ > 0) chunk.push_back(',');
      model_.id = kFirstId + written_++;
      rapidjson::StringBuffer buffer;
      Writer w(buffer);
      write_job(w, model_);
      chunk.append(buffer.GetString(), buffer.GetSize());
    }
    const bool last = offset + chunk.size() + 1 >= bytes_;
    if (last) chunk.push_back(']');
    if (!sink.write(chunk.data(), chunk.size())) return false;
    if (last) sink.done();
    return true;
  }

 private:
  static constexpr std::int64_t kFirstId = 900000000;
  SimJob model_;
  std::size_t bytes_;
  std::int64_t written_ = 0;
};

void send_huge_body(Response& res, SimJob model, std::int64_t bytes) {
  auto body = std::make_shared<HugeBody>(std::move(model), bytes);
  res.status = 200;
  res.set_chunked_content_provider(kJsonType, [body](std::size_t offset, httplib::DataSink& sink) {
    return body->next(offset, sink);
  });
}

// A job like the repository's own, for huge_body to repeat.
SimJob model_job(const RepositoryRef& ref, const JobPage& page, const SimState& state) {
  if (!page.jobs.empty()) return page.jobs.front();
  SimJob job;
  job.created_at = "2026-01-01T00:00:00.000000Z";
  job.updated_at = "2026-01-01T00:01:00.000000Z";
  job.organization = ref.organization;
  job.repository = ref.repository;
  job.tag = "huge";
  job.remote_region = "cn-east-3";
  job.remote_organization = ref.organization;
  job.status = "success";
  job.domain_id = state.identity.domain_id;
  job.domain_name = state.identity.domain_name;
  job.operator_id = state.identity.user_id;
  job.operator_name = state.identity.user_name;
  return job;
}

void handle_sync_job(SimState& state, const Request& req, Response& res) {
  state.stats.count(Endpoint::kSyncJob);
  const RepositoryRef ref = repository_from_path(req);
  state.stats.count_repository(ref.organization + "/" + ref.repository);
  SwrCall call(state, req, res);
  const std::optional<Caller> caller = call.admit({"filter"});
  if (!caller) return;
  const std::string* filter = call.query("filter");
  if (!filter) {
    call.client_error(400, kBadRequest, "filter is required (limit::L|offset::O)");
    return;
  }
  const JobQueryParse parsed = parse_job_filter(*filter);
  if (!parsed.error.empty()) {
    call.client_error(400, kBadRequest, "invalid filter: " + parsed.error);
    return;
  }
  const JobQuery& q = parsed.query;
  JobPage page = state.world.page(ref, q.offset, q.limit, q.descending);
  if (page.lookup != Lookup::kFound) {
    call.not_found(page.lookup, ref);
    return;
  }

  const FaultAction fault = state.faults.on_request(ref);
  if (fault.delay_ms > 0 && !state.stop.sleep_for(std::chrono::milliseconds(fault.delay_ms))) {
    call.error(503, kServerError, "the simulator is shutting down");
    return;
  }
  std::size_t total = page.total;
  std::optional<std::string> range = content_range(q.offset, page.jobs.size(), total);
  bool cut_body = false;
  std::optional<Truncation> truncation;
  if (fault.kind) {
    switch (*fault.kind) {
      case FaultKind::kServerError:
        call.error(500, kServerError, "Internal server error");
        return;
      case FaultKind::kBadGateway:
        call.send(502, apig_error_body("APIG.0202", "Backend unavailable", request_id_of(res)));
        return;
      case FaultKind::kThrottle:
        res.set_header("Retry-After", std::to_string(fault.retry_after_seconds));
        call.send(429, apig_error_body("APIG.0308",
                                       "The throttling threshold has been reached: policy user "
                                       "over ratelimit,limit:100,time:1 minute",
                                       request_id_of(res)));
        return;
      case FaultKind::kNotFound:
        call.not_found(Lookup::kNoRepository, ref);
        return;
      case FaultKind::kTokenExpiry:
        state.tokens.expire_all();
        if (*caller == Caller::kToken) {
          call.error(401, kUnauthorized, "Authentication failed: the token has expired");
          return;
        }
        break;
      case FaultKind::kMalformedJson:
        cut_body = true;
        break;
      case FaultKind::kLyingContentRange:
        switch (fault.mode) {
          case RangeLie::kTotalTooSmall:
            range = content_range(q.offset, page.jobs.size(), q.offset + page.jobs.size());
            break;
          case RangeLie::kTotalTooLarge:
            range = content_range(q.offset, page.jobs.size(), total * 10 + 1000);
            break;
          case RangeLie::kGarbage:
            range = "bytes */*";
            break;
          case RangeLie::kMissing:
            range.reset();
            break;
        }
        break;
      case FaultKind::kTruncatedBody:
        truncation = fault.truncation;
        break;
      case FaultKind::kHugeBody:
        if (range) res.set_header("Content-Range", *range);
        send_huge_body(res, model_job(ref, page, state), fault.bytes);
        return;
      case FaultKind::kSlow:
        break;
    }
  }

  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartArray();
  for (const SimJob& job : page.jobs) write_job(w, job);
  w.EndArray();
  std::string body = buffer.GetString();
  if (cut_body) body.resize(body.size() / 2);
  if (range) res.set_header("Content-Range", *range);
  if (truncation == Truncation::kShortRead) {
    send_short_read(res, std::move(body));
    return;
  }
  // Two thirds in: inside a job object, unlike malformed_json's half.
  if (truncation == Truncation::kCutJson) body.resize(body.size() * 2 / 3);
  call.send(200, body);
}

void handle_sync_repo(SimState& state, const Request& req, Response& res) {
  state.stats.count(Endpoint::kSyncRepo);
  const RepositoryRef ref = repository_from_path(req);
  SwrCall call(state, req, res);
  if (!call.admit({})) return;
  const auto rules = state.world.rules(ref);
  if (!rules) {
    call.not_found(state.world.lookup(ref), ref);
    return;
  }
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartArray();
  // SyncRepo as the SDK models it: the rule, and the account and repository it belongs to.
  std::int64_t id = 30000;
  for (const SyncRule& rule : *rules) {
    w.StartObject();
    field(w, "domainID", state.identity.domain_id);
    field(w, "domainName", state.identity.domain_name);
    put(w, "id");
    w.Int64(id++);
    field(w, "namespace", ref.organization);
    field(w, "repoName", ref.repository);
    field(w, "remoteRegionId", rule.remote_region);
    field(w, "remoteNamespace", rule.remote_organization);
    put(w, "syncAuto");
    w.Bool(rule.sync_auto);
    put(w, "override");
    w.Bool(rule.override_image);
    field(w, "createdAt", rule.created_at);
    field(w, "updatedAt", rule.updated_at);
    w.EndObject();
  }
  w.EndArray();
  call.send(200, buffer.GetString());
}

// ListNamespaces: the organization's name comes in `filter` or, as the SDKs also send it, in a
// `namespace` query parameter (not both).
void handle_namespaces(SimState& state, const Request& req, Response& res) {
  state.stats.count(Endpoint::kNamespaces);
  SwrCall call(state, req, res);
  if (!call.admit({"filter", "namespace"})) return;
  std::string contains;
  const std::string* filter = call.query("filter");
  if (const std::string* name = call.query("namespace")) {
    if (filter) {
      call.client_error(400, kBadRequest,
                        "query parameter 'namespace' cannot be combined with filter: send the "
                        "conditions either in filter or as query parameters");
      return;
    }
    if (name->empty()) {
      call.client_error(400, kBadRequest, "invalid query: 'namespace' is empty");
      return;
    }
    contains = *name;
  }
  if (filter) {
    FilterParse f = parse_filter(*filter, {"namespace", "mode"});
    if (f.error.empty()) {
      if (const auto mode = f.values.find("mode");
          mode != f.values.end() && mode->second != "visible") {
        f.error = "mode '" + mode->second + "' must be visible";
      }
    }
    if (!f.error.empty()) {
      call.client_error(400, kBadRequest, "invalid filter: " + f.error);
      return;
    }
    if (const auto ns = f.values.find("namespace"); ns != f.values.end()) contains = ns->second;
  }
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  put(w, "namespaces");
  w.StartArray();
  for (const auto& [name, id] : state.world.organizations()) {
    if (name.find(contains) == std::string::npos) continue;
    w.StartObject();
    put(w, "id");
    w.Int64(id);
    field(w, "name", name);
    field(w, "creator_name", state.config.credentials.user_name);
    put(w, "auth");
    w.Int(7);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  call.send(200, buffer.GetString());
}

// ListReposDetails: its conditions come in `filter` or as query parameters of their own (as the
// official SDKs send them), not both.
void handle_repos(SimState& state, const Request& req, Response& res) {
  state.stats.count(Endpoint::kRepos);
  SwrCall call(state, req, res);
  if (!call.admit({"filter"}, kRepoConditions)) return;
  Conditions given;
  for (const std::string_view name : kRepoConditions) {
    if (const std::string* value = call.query(name)) given.emplace(name, *value);
  }
  RepoQueryParse parsed;
  if (const std::string* filter = call.query("filter")) {
    if (!given.empty()) {
      call.client_error(400, kBadRequest,
                        "query parameter '" + given.begin()->first +
                            "' cannot be combined with filter: send the conditions either in "
                            "filter or as query parameters");
      return;
    }
    parsed = parse_repo_filter(*filter);
    if (!parsed.error.empty()) parsed.error = "invalid filter: " + parsed.error;
  } else {
    parsed = parse_repo_conditions(given);
    if (!parsed.error.empty()) parsed.error = "invalid query: " + parsed.error;
  }
  if (!parsed.error.empty()) {
    call.client_error(400, kBadRequest, parsed.error);
    return;
  }
  const RepositoryQuery& q = parsed.query;
  const RepositoryPage page = state.world.list_repositories(q);
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartArray();
  for (const RepositorySummary& r : page.items) {
    const std::string path =
        "swr." + state.config.region + ".myhuaweicloud.com/" + r.organization + "/" + r.name;
    w.StartObject();
    put(w, "id");
    w.Int64(r.id);
    field(w, "name", r.name);
    field(w, "category", r.category);
    field(w, "description", "");
    put(w, "size");
    w.Int64(static_cast<std::int64_t>(r.tags.size()) * 52428800);
    put(w, "is_public");
    w.Bool(false);
    put(w, "num_images");
    w.Int64(static_cast<std::int64_t>(r.tags.size()));
    put(w, "num_download");
    w.Int(0);
    field(w, "path", path);
    field(w, "internal_path", "swr.inner." + path.substr(4));
    field(w, "created_at", r.created_at);
    field(w, "updated_at", r.updated_at);
    field(w, "logo", "");
    field(w, "url", "");
    field(w, "domain_name", state.identity.domain_name);
    field(w, "namespace", r.organization);
    put(w, "tags");
    w.StartArray();
    for (const std::string& tag : r.tags) put(w, tag);
    w.EndArray();
    put(w, "status");
    w.Bool(false);
    put(w, "total_range");
    w.Int64(static_cast<std::int64_t>(page.total));
    w.EndObject();
  }
  w.EndArray();
  res.set_header("Content-Range", content_range(q.offset, page.items.size(), page.total));
  call.send(200, buffer.GetString());
}

}  // namespace

void add_swr_routes(httplib::Server& server, SimState& state) {
  server.Get(R"(/v2/manage/namespaces/([^/]+)/repos/([^/]+)/sync_job)",
             [&state](const Request& req, Response& res) { handle_sync_job(state, req, res); });
  server.Get(R"(/v2/manage/namespaces/([^/]+)/repos/([^/]+)/sync_repo)",
             [&state](const Request& req, Response& res) { handle_sync_repo(state, req, res); });
  server.Get("/v2/manage/namespaces",
             [&state](const Request& req, Response& res) { handle_namespaces(state, req, res); });
  server.Get("/v2/manage/repos",
             [&state](const Request& req, Response& res) { handle_repos(state, req, res); });
}

}  // namespace swr::sim
