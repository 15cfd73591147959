// IAM: password tokens (POST /v3/auth/tokens) and token validation (GET /v3/auth/tokens).
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <mutex>
#include <random>
#include <set>

#include "error_bodies.h"
#include "http_util.h"
#include "model/timestamp.h"
#include "routes.h"

namespace swr::sim {

namespace {
std::mutex& metadata_mutex() {
  static std::mutex m;
  return m;
}
std::set<std::string>& metadata_tokens() {
  static std::set<std::string> tokens;
  return tokens;
}
}  // namespace

namespace {

using httplib::Request;
using httplib::Response;
using Writer = rapidjson::Writer<rapidjson::StringBuffer>;
using JsonValue = rapidjson::Value;

void put(Writer& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}
void field(Writer& w, std::string_view key, std::string_view value) {
  put(w, key);
  put(w, value);
}

void send_iam_error(SimState& state, Response& res, int status, std::string_view message) {
  const char* title = status == 400   ? "Bad Request"
                      : status == 401 ? "Unauthorized"
                      : status == 404 ? "Not Found"
                                      : "Error";
  if (status == 401) state.stats.count_auth_failure();
  res.status = status;
  res.set_content(iam_error_body(status, title, message), kJsonType);
}

bool wants_catalog(const Request& req) {
  for (const auto& [k, v] : decode_query(req.target)) {
    if (k == "nocatalog" && v == "true") return false;
  }
  return true;
}

std::string token_body(const SimState& state, const TokenInfo& info, bool catalog) {
  const Identity& id = state.identity;
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  put(w, "token");
  w.StartObject();
  field(w, "expires_at", format_timestamp_us(info.expires_us));
  field(w, "issued_at", format_timestamp_us(info.issued_us));
  put(w, "methods");
  w.StartArray();
  put(w, "password");
  w.EndArray();
  put(w, "project");
  w.StartObject();
  put(w, "domain");
  w.StartObject();
  field(w, "id", id.domain_id);
  field(w, "name", id.domain_name);
  w.EndObject();
  field(w, "id", state.config.project_id);
  field(w, "name", state.config.region);
  w.EndObject();
  put(w, "roles");
  w.StartArray();
  w.StartObject();
  field(w, "id", "0");
  field(w, "name", "te_admin");
  w.EndObject();
  w.EndArray();
  put(w, "user");
  w.StartObject();
  put(w, "domain");
  w.StartObject();
  field(w, "id", id.domain_id);
  field(w, "name", id.domain_name);
  w.EndObject();
  field(w, "id", id.user_id);
  field(w, "name", id.user_name);
  field(w, "password_expires_at", "");
  w.EndObject();
  if (catalog) {
    put(w, "catalog");
    w.StartArray();
    w.StartObject();
    put(w, "endpoints");
    w.StartArray();
    w.StartObject();
    field(w, "id", "3b6e5a27a2b14c3f8a2d0c0f0e6b1c11");
    field(w, "interface", "public");
    field(w, "region", state.config.region);
    field(w, "region_id", state.config.region);
    field(w, "url", "https://swr-api." + state.config.region + ".myhuaweicloud.com");
    w.EndObject();
    w.EndArray();
    field(w, "id", "5c1f0a9e7d8b4e6f9a0b1c2d3e4f5a6b");
    field(w, "name", "swr");
    field(w, "type", "swr");
    w.EndObject();
    w.EndArray();
  }
  w.EndObject();
  w.EndObject();
  return buffer.GetString();
}

const JsonValue* object_member(const JsonValue& obj, const char* key) {
  if (!obj.IsObject()) return nullptr;
  const auto it = obj.FindMember(key);
  if (it == obj.MemberEnd() || !it->value.IsObject()) return nullptr;
  return &it->value;
}

std::optional<std::string> string_member(const JsonValue* obj, const char* key) {
  if (!obj || !obj->IsObject()) return std::nullopt;
  const auto it = obj->FindMember(key);
  if (it == obj->MemberEnd() || !it->value.IsString()) return std::nullopt;
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

// The password identity with project scope, checked field by field; returns an error message for
// 400, or fills the credentials.
struct PasswordRequest {
  std::string domain, user, password;
  std::optional<std::string> project_name, project_id;
};

std::string parse_password_request(const std::string& body, PasswordRequest& out) {
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseIterativeFlag>(body.c_str(), body.size());
  if (doc.HasParseError() || !doc.IsObject()) return "The request body is not valid JSON.";
  const JsonValue* auth = object_member(doc, "auth");
  if (!auth) return "Invalid input for field 'auth'.";
  const JsonValue* identity = object_member(*auth, "identity");
  if (!identity) return "Invalid input for field 'auth.identity'.";
  const auto methods = identity->FindMember("methods");
  if (methods == identity->MemberEnd() || !methods->value.IsArray() || methods->value.Size() != 1 ||
      !methods->value[0].IsString() ||
      std::string_view(methods->value[0].GetString()) != "password") {
    return "Invalid input for field 'auth.identity.methods': expected [\"password\"].";
  }
  const JsonValue* user = object_member(*identity, "password");
  user = user ? object_member(*user, "user") : nullptr;
  if (!user) return "Invalid input for field 'auth.identity.password.user'.";
  const auto domain = string_member(object_member(*user, "domain"), "name");
  const auto name = string_member(user, "name");
  const auto password = string_member(user, "password");
  if (!domain) return "Invalid input for field 'auth.identity.password.user.domain.name'.";
  if (!name) return "Invalid input for field 'auth.identity.password.user.name'.";
  if (!password) return "Invalid input for field 'auth.identity.password.user.password'.";
  const JsonValue* scope = object_member(*auth, "scope");
  const JsonValue* project = scope ? object_member(*scope, "project") : nullptr;
  if (!project) return "Invalid input for field 'auth.scope.project': a project scope is required.";
  out.project_name = string_member(project, "name");
  out.project_id = string_member(project, "id");
  if (!out.project_name && !out.project_id) {
    return "Invalid input for field 'auth.scope.project': give its name or id.";
  }
  out.domain = *domain;
  out.user = *name;
  out.password = *password;
  return "";
}

void handle_issue(SimState& state, const Request& req, Response& res) {
  state.stats.count(Endpoint::kToken);
  if (!is_json_content_type(req.get_header_value("Content-Type"))) {
    send_iam_error(state, res, 400, "Content-Type must be application/json.");
    return;
  }
  PasswordRequest creds;
  if (const std::string error = parse_password_request(req.body, creds); !error.empty()) {
    send_iam_error(state, res, 400, error);
    return;
  }
  const Credentials& expected = state.config.credentials;
  // Compare all three so a wrong user and a wrong password look the same.
  const bool user_ok = creds.domain == expected.domain_name && creds.user == expected.user_name;
  const bool password_ok = huaweicloud::equal_constant_time(creds.password, expected.password);
  if (!user_ok || !password_ok) {
    send_iam_error(state, res, 401, "The username or password is wrong.");
    return;
  }
  if ((creds.project_name && *creds.project_name != state.config.region) ||
      (creds.project_id && *creds.project_id != state.config.project_id)) {
    send_iam_error(state, res, 401, "The project does not exist or you have no access to it.");
    return;
  }
  const TokenStore::Issued issued = state.tokens.issue(state.now_us());
  state.secrets.record("iam_token", issued.token);
  res.status = 201;
  res.set_header("X-Subject-Token", issued.token);
  res.set_content(token_body(state, issued.info, wants_catalog(req)), kJsonType);
}

void handle_validate(SimState& state, const Request& req, Response& res) {
  state.stats.count(Endpoint::kTokenValidation);
  const std::int64_t now = state.now_us();
  if (!state.tokens.find_live(req.get_header_value("X-Auth-Token"), now)) {
    send_iam_error(state, res, 401, "The request you have made requires authentication.");
    return;
  }
  const auto subject = state.tokens.find_live(req.get_header_value("X-Subject-Token"), now);
  if (!subject) {
    send_iam_error(state, res, 404, "Could not find token.");
    return;
  }
  res.status = 200;
  res.set_header("X-Subject-Token", req.get_header_value("X-Subject-Token"));
  res.set_content(token_body(state, *subject, wants_catalog(req)), kJsonType);
}

// The ECS/CCE metadata service: a session token first, then temporary keys with it.
std::string random_text(std::size_t n) {
  static constexpr char kChars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::string out(n, 'A');
  for (char& c : out) c = kChars[rng() % (sizeof kChars - 1)];
  return out;
}

void handle_metadata_token(SimState& state, const Request& req, Response& res) {
  state.stats.count(Endpoint::kOther);
  if (req.get_header_value("X-Metadata-Token-Ttl-Seconds").empty()) {
    res.status = 400;
    res.set_content("X-Metadata-Token-Ttl-Seconds is required\n", "text/plain");
    return;
  }
  std::string token = random_text(56);
  state.secrets.record("metadata_session_token", token);
  {
    std::lock_guard lock(metadata_mutex());
    metadata_tokens().insert(token);
  }
  res.set_content(token, "text/plain");
}

void handle_security_key(SimState& state, const Request& req, Response& res) {
  state.stats.count(Endpoint::kOther);
  {
    std::lock_guard lock(metadata_mutex());
    if (!metadata_tokens().count(req.get_header_value("X-Metadata-Token"))) {
      res.status = 401;
      res.set_content("a valid X-Metadata-Token is required\n", "text/plain");
      return;
    }
  }
  const std::int64_t expires = state.now_us() + state.config.token_lifetime_ms * 1000;
  const std::string access = "TMP" + random_text(17);
  const std::string secret = random_text(40);
  const std::string security_token = "gQ" + random_text(600);
  state.secrets.record("temporary_secret_key", secret);
  state.secrets.record("security_token", security_token);
  state.aksk.add_temporary(access, secret, security_token, expires);
  res.set_content(R"({"credential":{"access":")" + access + R"(","secret":")" + secret +
                      R"(","securitytoken":")" + security_token + R"(","expires_at":")" +
                      format_timestamp_us(expires) + R"("}})",
                  kJsonType);
}

}  // namespace

void add_iam_routes(httplib::Server& server, SimState& state) {
  server.Put("/meta-data/latest/api/token", [&state](const Request& req, Response& res) {
    handle_metadata_token(state, req, res);
  });
  server.Get("/openstack/latest/securitykey",
             [&state](const Request& req, Response& res) { handle_security_key(state, req, res); });
  server.Post("/v3/auth/tokens",
              [&state](const Request& req, Response& res) { handle_issue(state, req, res); });
  server.Get("/v3/auth/tokens",
             [&state](const Request& req, Response& res) { handle_validate(state, req, res); });
}

}  // namespace swr::sim
