// /_sim/: unauthenticated controls for tests and demos.
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>

#include "http_util.h"
#include "routes.h"

namespace swr::sim {

namespace {

using httplib::Request;
using httplib::Response;
using Writer = rapidjson::Writer<rapidjson::StringBuffer>;
using JsonValue = rapidjson::Value;

void put(Writer& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

void send_error(Response& res, int status, std::string_view message) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  put(w, "error");
  put(w, message);
  w.EndObject();
  res.status = status;
  res.set_content(buffer.GetString(), kJsonType);
}

void send_ok(Response& res, std::string_view key, bool value) {
  res.status = 200;
  res.set_content("{\"" + std::string(key) + "\":" + (value ? "true" : "false") + "}", kJsonType);
}

// Throws std::invalid_argument with a message for the client.
std::string text(const JsonValue& obj, const char* key, bool required, std::string fallback = "") {
  const auto it = obj.FindMember(key);
  if (it == obj.MemberEnd()) {
    if (required) throw std::invalid_argument(std::string(key) + " is required");
    return fallback;
  }
  if (!it->value.IsString()) throw std::invalid_argument(std::string(key) + " must be a string");
  std::string out(it->value.GetString(), it->value.GetStringLength());
  if (required && out.empty()) throw std::invalid_argument(std::string(key) + " is empty");
  return out;
}

RepositoryRef parse_ref(const rapidjson::Document& doc) {
  if (!doc.IsObject()) throw std::invalid_argument("body must be a JSON object");
  return {text(doc, "organization", true), text(doc, "repository", true)};
}

void parse_body(const Request& req, rapidjson::Document& doc) {
  doc.Parse<rapidjson::kParseIterativeFlag>(req.body.c_str(), req.body.size());
  if (doc.HasParseError()) throw std::invalid_argument("body is not valid JSON");
}

// POST /_sim/jobs {"organization", "repository", "jobs": [{"tag", "status", "remoteRegionId",
// "remoteNamespace", "duration_seconds", "override"}], "manual": false}. By default each job's tag
// is pushed, as an automatic sync follows a push: the listing moves, and a missing repository is
// created. "manual": true is a manual sync (CreateManualImageSyncRepo): jobs only, the listing
// stays, and the repository must exist (404 otherwise).
void handle_add_jobs(SimState& state, const Request& req, Response& res) {
  std::vector<NewJob> jobs;
  RepositoryRef ref;
  SyncTrigger trigger = SyncTrigger::kPush;
  try {
    rapidjson::Document doc;
    parse_body(req, doc);
    ref = parse_ref(doc);
    const JsonValue& body = doc;  // const iterators: clang's C++20 == is ambiguous otherwise
    if (const auto m = body.FindMember("manual"); m != body.MemberEnd()) {
      if (!m->value.IsBool()) throw std::invalid_argument("manual must be true or false");
      if (m->value.GetBool()) trigger = SyncTrigger::kManual;
    }
    const auto list = body.FindMember("jobs");
    if (list == body.MemberEnd() || !list->value.IsArray()) {
      throw std::invalid_argument("jobs must be an array");
    }
    for (const JsonValue& item : list->value.GetArray()) {
      if (!item.IsObject()) throw std::invalid_argument("each job must be an object");
      NewJob job;
      job.tag = text(item, "tag", false, job.tag);
      job.status = text(item, "status", false, job.status);
      job.remote_region = text(item, "remoteRegionId", false);
      job.remote_organization = text(item, "remoteNamespace", false);
      if (const auto d = item.FindMember("duration_seconds"); d != item.MemberEnd()) {
        if (!d->value.IsNumber() || d->value.GetDouble() < 0) {
          throw std::invalid_argument("duration_seconds must be a non-negative number");
        }
        job.duration_seconds = d->value.GetDouble();
      }
      if (const auto o = item.FindMember("override"); o != item.MemberEnd()) {
        if (!o->value.IsBool()) throw std::invalid_argument("override must be true or false");
        job.override_image = o->value.GetBool();
      }
      jobs.push_back(std::move(job));
    }
  } catch (const std::invalid_argument& e) {
    send_error(res, 400, e.what());
    return;
  }
  const auto ids = state.world.append(ref, jobs, state.now_us(), trigger);
  if (!ids) {
    send_error(res, 404,
               "repository " + ref.organization + "/" + ref.repository +
                   " does not exist: a manual sync needs one (push to create it)");
    return;
  }
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  put(w, "ids");
  w.StartArray();
  for (const std::int64_t id : *ids) w.Int64(id);
  w.EndArray();
  w.EndObject();
  res.status = 200;
  res.set_content(buffer.GetString(), kJsonType);
}

// POST /_sim/push {"organization", "repository", "tag"}: a push that starts no sync job, as to a
// repository without auto-sync rules. The listing moves; a missing repository is created.
void handle_push(SimState& state, const Request& req, Response& res) {
  RepositoryRef ref;
  std::string tag;
  try {
    rapidjson::Document doc;
    parse_body(req, doc);
    ref = parse_ref(doc);
    tag = text(doc, "tag", true);
  } catch (const std::invalid_argument& e) {
    send_error(res, 400, e.what());
    return;
  }
  state.world.push(ref, tag, state.now_us());
  send_ok(res, "pushed", true);
}

void handle_delete_repository(SimState& state, const Request& req, Response& res) {
  RepositoryRef ref;
  try {
    rapidjson::Document doc;
    parse_body(req, doc);
    ref = parse_ref(doc);
  } catch (const std::invalid_argument& e) {
    send_error(res, 400, e.what());
    return;
  }
  const bool deleted = state.world.remove(ref);
  send_ok(res, "deleted", deleted);
  if (!deleted) res.status = 404;
}

void write_outage(Writer& w, const SimState& state) {
  const OutageKind kind = state.outage.active(state.now_us());
  w.StartObject();
  put(w, "kind");
  put(w, to_string(kind));
  put(w, "remaining_ms");
  w.Int64(kind == OutageKind::kNone
              ? 0
              : std::max<std::int64_t>(0, (state.outage.until_us() - state.now_us()) / 1000));
  put(w, "started");
  w.Uint64(state.outage.started());
  put(w, "refused_requests");
  w.Uint64(state.outage.refused_requests());
  put(w, "unavailable_answers");
  w.Uint64(state.outage.unavailable_answers());
  put(w, "credentials_refusals");
  w.Uint64(state.outage.credentials_refusals());
  w.EndObject();
}

// POST /_sim/outage {"seconds": N, "kind": "refuse"|"503"|"credentials"|"iam_credentials"}.
// refuse: the listening socket is closed (connecting gets ECONNREFUSED) and open connections are
// shut down, this one's after its answer; the same port opens again when the time is up, and the
// controls are unreachable meanwhile. 503: every API call (SWR, IAM, metadata) is answered 503
// with its service's error body; /_sim/ keeps working. credentials: every SWR call is answered
// 401 APIGW.0301 (the credentials refused); IAM and metadata answer as usual. iam_credentials:
// every IAM token request (/v3/auth/tokens) is answered 401 with IAM's body.
void handle_outage(SimState& state, const Request& req, Response& res) {
  OutageKind kind = OutageKind::kNone;
  double seconds = 0;
  try {
    rapidjson::Document doc;
    parse_body(req, doc);
    if (!doc.IsObject()) throw std::invalid_argument("body must be a JSON object");
    const std::string kind_text = text(doc, "kind", true);
    const auto parsed = parse_outage_kind(kind_text);
    if (!parsed)
      throw std::invalid_argument(
          "kind must be \"refuse\", \"503\", \"credentials\" or \"iam_credentials\"");
    kind = *parsed;
    const JsonValue& body = doc;  // const iterators: clang's C++20 == is ambiguous otherwise
    const auto s = body.FindMember("seconds");
    if (s == body.MemberEnd() || !s->value.IsNumber()) {
      throw std::invalid_argument("seconds must be a number");
    }
    seconds = s->value.GetDouble();
    if (!(seconds > 0 && seconds <= 3600)) {
      throw std::invalid_argument("seconds must be more than 0 and at most 3600");
    }
  } catch (const std::invalid_argument& e) {
    send_error(res, 400, e.what());
    return;
  }
  const std::int64_t until = state.now_us() + static_cast<std::int64_t>(seconds * 1e6);
  if (!state.outage.begin(kind, until)) {
    send_error(res, 409, "a refusal is already on");
    return;
  }
  if (kind == OutageKind::kRefuse && state.refuse_connections) {
    state.refuse_connections(req.remote_port);
  }
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  put(w, "outage");
  write_outage(w, state);
  w.EndObject();
  res.status = 200;
  res.set_content(buffer.GetString(), kJsonType);
}

void handle_stats(SimState& state, const Request&, Response& res) {
  const StatsSnapshot s = state.stats.snapshot();
  const std::int64_t now = state.now_us();
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  put(w, "requests");
  w.StartObject();
  for (std::size_t i = 0; i < kEndpointCount; ++i) {
    put(w, to_string(static_cast<Endpoint>(i)));
    w.Uint64(s.requests[i]);
  }
  w.EndObject();
  put(w, "by_repository");
  w.StartObject();
  for (const auto& [repo, n] : s.by_repository) {
    put(w, repo);
    w.Uint64(n);
  }
  w.EndObject();
  put(w, "auth_failures");
  w.Uint64(s.auth_failures);
  put(w, "locked_keys");
  w.Uint64(state.aksk.locked_keys(now));
  put(w, "lockouts");
  w.Uint64(state.aksk.lockouts());
  put(w, "jobs");
  w.Uint64(state.world.job_count());
  put(w, "outage");
  write_outage(w, state);
  put(w, "faults");
  w.StartArray();
  for (const FaultHits& f : state.faults.hits()) {
    w.StartObject();
    put(w, "organization");
    put(w, f.spec.organization);
    put(w, "repository");
    put(w, f.spec.repository);
    put(w, "kind");
    put(w, to_string(f.spec.kind));
    put(w, "hits");
    w.Int64(f.hits);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  res.status = 200;
  res.set_content(buffer.GetString(), kJsonType);
}

}  // namespace

void add_admin_routes(httplib::Server& server, SimState& state) {
  server.Post("/_sim/jobs",
              [&state](const Request& req, Response& res) { handle_add_jobs(state, req, res); });
  server.Post("/_sim/push",
              [&state](const Request& req, Response& res) { handle_push(state, req, res); });
  server.Post("/_sim/delete-repository", [&state](const Request& req, Response& res) {
    handle_delete_repository(state, req, res);
  });
  server.Post("/_sim/revoke-tokens", [&state](const Request&, Response& res) {
    state.tokens.expire_all();
    send_ok(res, "revoked", true);
  });
  server.Get("/_sim/stats",
             [&state](const Request& req, Response& res) { handle_stats(state, req, res); });
  server.Post("/_sim/reset-stats", [&state](const Request&, Response& res) {
    state.stats.reset();
    send_ok(res, "reset", true);
  });
  server.Post("/_sim/unlock-keys", [&state](const Request&, Response& res) {
    state.aksk.unlock_all();
    send_ok(res, "unlocked", true);
  });
  server.Post("/_sim/outage",
              [&state](const Request& req, Response& res) { handle_outage(state, req, res); });
  server.Get("/_sim/outage", [&state](const Request&, Response& res) {
    rapidjson::StringBuffer buffer;
    Writer w(buffer);
    write_outage(w, state);
    res.status = 200;
    res.set_content(buffer.GetString(), kJsonType);
  });
  server.Post("/_sim/churn", [&state](const Request&, Response& res) {
    state.churn_once();
    send_ok(res, "churned", true);
  });
}

}  // namespace swr::sim
