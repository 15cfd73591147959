// The signals alerts need (issue 11), the exporter and swr-sim as real processes: each auto-sync
// rule as swr_sync_rule_info, the repositories' last push and each destination's newest job as
// the simulator holds them; the poll interval and the rate limiter's rate (dropping under 429s);
// swr_exporter_credentials_refused on the simulator's refusal knob and back; the expiry of the
// metadata service's temporary keys.
#include <doctest/doctest.h>
#include <httplib.h>
#include <rapidjson/document.h>

#include <cmath>
#include <ctime>
#include <functional>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "harness.h"

using namespace swr::test;
using namespace std::chrono_literals;

namespace {

// A world with rules of every flag combination, a repository without rules and one whose name
// has a slash.
const char* const kRulesWorld = R"({"repositories": [
  {"organization": "team-a", "repository": "app1",
   "destinations": [
     {"remoteRegionId": "cn-east-3", "remoteNamespace": "team-a", "syncAuto": true, "override": false},
     {"remoteRegionId": "ap-southeast-1", "remoteNamespace": "team-a-mirror", "syncAuto": false,
      "override": true}],
   "jobs": [
     {"id": 1, "createdAt": "2026-01-01T00:00:00.000000Z", "updatedAt": "2026-01-01T00:00:30.000000Z",
      "tag": "v1", "remoteRegionId": "cn-east-3", "remoteNamespace": "team-a", "status": "success"},
     {"id": 2, "createdAt": "2026-01-01T01:00:00.250000Z", "updatedAt": "2026-01-01T01:01:30.000000Z",
      "tag": "v2", "remoteRegionId": "cn-east-3", "remoteNamespace": "team-a", "status": "failed"},
     {"id": 3, "createdAt": "2026-01-01T00:30:00.000000Z", "updatedAt": "2026-01-01T00:31:00.000000Z",
      "tag": "v1", "remoteRegionId": "ap-southeast-1", "remoteNamespace": "team-a-mirror",
      "status": "success"}]},
  {"organization": "team-a", "repository": "team/app2",
   "jobs": [
     {"id": 4, "createdAt": "2026-01-02T00:00:00.000000Z", "updatedAt": "2026-01-02T00:00:05.000000Z",
      "tag": "v1", "remoteRegionId": "cn-east-3", "remoteNamespace": "team-a", "status": "success"}]},
  {"organization": "team-a", "repository": "app3",
   "destinations": [
     {"remoteRegionId": "cn-south-1", "remoteNamespace": "team-b", "syncAuto": true, "override": true}],
   "jobs": [
     {"id": 5, "createdAt": "2026-01-03T00:00:00.000000Z", "updatedAt": "2026-01-03T00:00:00.000000Z",
      "tag": "v9", "remoteRegionId": "cn-south-1", "remoteNamespace": "team-b", "status": "running"}]}
]})";

// Password authentication, the password in a file of `dir`.
std::string password_auth(const TempDir& dir) {
  const std::string file = dir.write("password", kSimPassword);
  return "[auth]\nmethod = \"password\"\ndomain_name = \"sim-domain\"\nuser_name = "
         "\"sim-user\"\npassword_file = \"" +
         file + "\"\n";
}

// `2026-01-01T01:00:00.250000Z` (as swr-sim writes them) -> seconds since the epoch.
double unix_seconds(const std::string& text) {
  std::tm tm{};
  int micros = 0;
  REQUIRE_MESSAGE(std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%6dZ", &tm.tm_year, &tm.tm_mon,
                              &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &micros) == 7,
                  text);
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<double>(timegm(&tm)) + micros / 1e6;
}

std::string path_name(std::string repository) {
  for (char& c : repository) {
    if (c == '/') c = '$';
  }
  return repository;
}

// The simulator's own answers, read with a fresh IAM token.
class SimReader {
 public:
  explicit SimReader(const Sim& sim) : client_("127.0.0.1", sim.port()) {
    client_.set_read_timeout(30);
    const auto issued = client_.Post(
        "/v3/auth/tokens?nocatalog=true",
        std::string(R"({"auth":{"identity":{"methods":["password"],"password":{"user":{"domain":)"
                    R"({"name":"sim-domain"},"name":"sim-user","password":")") +
            kSimPassword + R"("}}},"scope":{"project":{"name":"cn-north-4"}}}})",
        "application/json");
    REQUIRE(issued);
    REQUIRE(issued->status == 201);
    token_ = issued->get_header_value("X-Subject-Token");
  }
  rapidjson::Document get(const std::string& target) {
    const auto res =
        client_.Get(target, {{"X-Auth-Token", token_}, {"Content-Type", "application/json"}});
    REQUIRE(res);
    REQUIRE_MESSAGE(res->status == 200, target << ": " << res->body);
    rapidjson::Document doc;
    doc.Parse(res->body.c_str(), res->body.size());
    REQUIRE_FALSE(doc.HasParseError());
    return doc;
  }

 private:
  httplib::Client client_;
  std::string token_;
};

// What the exporter should serve for the world as the simulator holds it now:
// swr_sync_rule_info, swr_repository_last_push_timestamp_seconds and
// swr_sync_latest_job_created_timestamp_seconds, keyed as series() keys them.
struct Expected {
  Samples rules;
  Samples pushes;
  Samples latest_created;
  std::size_t repositories = 0;
};

Expected expected_from(const Sim& sim) {
  SimReader reader(sim);
  Expected out;
  const rapidjson::Document repos = reader.get("/v2/manage/repos?filter=namespace%3A%3Ateam-a");
  REQUIRE(repos.IsArray());
  for (const auto& repo : repos.GetArray()) {
    const std::string org = repo["namespace"].GetString();
    const std::string name = repo["name"].GetString();
    ++out.repositories;
    out.pushes[series("swr_repository_last_push_timestamp_seconds",
                      {{"organization", org}, {"repository", name}})] =
        unix_seconds(repo["updated_at"].GetString());
    const std::string base = "/v2/manage/namespaces/" + org + "/repos/" + path_name(name);
    const rapidjson::Document rules = reader.get(base + "/sync_repo");
    for (const auto& rule : rules.GetArray()) {
      out.rules[series("swr_sync_rule_info",
                       {{"organization", org},
                        {"repository", name},
                        {"target_region", rule["remoteRegionId"].GetString()},
                        {"target_organization", rule["remoteNamespace"].GetString()},
                        {"sync_auto", rule["syncAuto"].GetBool() ? "true" : "false"},
                        {"override", rule["override"].GetBool() ? "true" : "false"}})] = 1;
    }
    const rapidjson::Document jobs =
        reader.get(base + "/sync_job?filter=limit%3A%3A1000%7Coffset%3A%3A0");
    for (const auto& job : jobs.GetArray()) {
      const std::string key = series("swr_sync_latest_job_created_timestamp_seconds",
                                     {{"organization", org},
                                      {"repository", name},
                                      {"target_region", job["remoteRegionId"].GetString()},
                                      {"target_organization", job["remoteNamespace"].GetString()}});
      const double created = unix_seconds(job["createdAt"].GetString());
      double& newest = out.latest_created.try_emplace(key, created).first->second;
      newest = std::max(newest, created);
    }
  }
  return out;
}

Samples only(const Samples& s, const std::string& name) {
  Samples out;
  for (const auto& [key, v] : samples_of(s, name)) out[key] = v;
  return out;
}

std::string describe(const Samples& s) {
  std::ostringstream out;
  out.precision(17);
  for (const auto& [k, v] : s) out << "  " << k << " " << v << "\n";
  return out.str();
}

void check_signals(const Samples& s, const Expected& e) {
  CHECK_MESSAGE(
      only(s, "swr_sync_rule_info") == e.rules, "exported:\n"
                                                    << describe(only(s, "swr_sync_rule_info"))
                                                    << "simulator:\n"
                                                    << describe(e.rules));
  CHECK_MESSAGE(only(s, "swr_repository_last_push_timestamp_seconds") == e.pushes,
                "exported:\n"
                    << describe(only(s, "swr_repository_last_push_timestamp_seconds"))
                    << "simulator:\n"
                    << describe(e.pushes));
  CHECK_MESSAGE(only(s, "swr_sync_latest_job_created_timestamp_seconds") == e.latest_created,
                "exported:\n"
                    << describe(only(s, "swr_sync_latest_job_created_timestamp_seconds"))
                    << "simulator:\n"
                    << describe(e.latest_created));
}

Samples wait_until(Exporter& exporter, const std::function<bool(const Samples&)>& ok,
                   std::chrono::seconds limit, const std::string& what) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  Samples s;
  while (std::chrono::steady_clock::now() < deadline) {
    s = exporter.metrics();
    if (ok(s)) return s;
    std::this_thread::sleep_for(50ms);
  }
  const std::string err = exporter.process().stderr_text();
  FAIL("not reached within " << limit.count() << " s: " << what << "\nlast samples:\n"
                             << describe(s) << "exporter stderr (end):\n"
                             << err.substr(err.size() > 4000 ? err.size() - 4000 : 0));
  return {};
}

double value_or(const Samples& s, const std::string& name, double fallback) {
  const auto it = s.find(series(name));
  return it == s.end() ? fallback : it->second;
}

}  // namespace

TEST_CASE("--once: every sim rule as swr_sync_rule_info, last pushes and newest jobs, exactly") {
  TempDir dir;
  const std::string world = dir.write("world.json", kRulesWorld);
  Sim sim("data = \"" + world + "\"\n");
  const std::string config = dir.write(
      "exporter.toml",
      exporter_config(sim, aksk_auth(),
                      "[scrape]\nmax_requests_per_second = 40\n\n[[targets]]\norganization = "
                      "\"team-a\"\nrepositories = [\"app1\", \"team/app2\", \"app3\"]\n"));
  const RunResult r =
      run({exporter_binary(), "--config", config, "--once", "--log.level", "debug"});
  REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  CHECK(promtool_check_metrics(r.out) == "");
  const Samples s = parse_exposition(r.out);
  // One sync_repo request per repository (before the reads of this test's own below).
  CHECK(sim.requests("sync_repo") == 3);
  const Expected e = expected_from(sim);
  REQUIRE(e.repositories == 3);
  CHECK(e.rules.size() == 3);  // the world's three rules, as the simulator answers them
  CHECK(e.rules.count(series("swr_sync_rule_info", {{"organization", "team-a"},
                                                    {"repository", "app1"},
                                                    {"target_region", "ap-southeast-1"},
                                                    {"target_organization", "team-a-mirror"},
                                                    {"sync_auto", "false"},
                                                    {"override", "true"}})));
  CHECK(only(s, "swr_sync_rule_info") == e.rules);
  CHECK(only(s, "swr_sync_latest_job_created_timestamp_seconds") == e.latest_created);
  CHECK(value(s, "swr_sync_latest_job_created_timestamp_seconds",
              {{"organization", "team-a"},
               {"repository", "app1"},
               {"target_region", "cn-east-3"},
               {"target_organization", "team-a"}}) == unix_seconds("2026-01-01T01:00:00.250000Z"));
  // --once lists nothing for change hints: named repositories have no last push.
  CHECK(samples_of(s, "swr_repository_last_push_timestamp_seconds").empty());
  // Counted like every call.
  CHECK(value(s, "swr_exporter_api_requests_total", {{"api", "sync_repo"}, {"code", "200"}}) == 3);
  CHECK(value(s, "swr_exporter_poll_interval_seconds") == 60);
  CHECK(value(s, "swr_exporter_rate_limit_requests_per_second") == 40);
  CHECK(value(s, "swr_exporter_credentials_refused") == 0);
}

TEST_CASE(
    "serving: rules, pushes and newest jobs follow the simulator; rules cost no budget "
    "every cycle; [metrics] disabled turns them off") {
  TempDir dir;
  const std::string world = dir.write("world.json", kRulesWorld);
  Sim sim("data = \"" + world + "\"\n");
  const std::string config =
      dir.write("exporter.toml",
                exporter_config(
                    sim, aksk_auth(),
                    "[scrape]\ninterval = \"500ms\"\nmax_requests_per_second = 30\n\n"
                    "[discovery]\ninterval = \"3s\"\n\n[[targets]]\norganization = \"team-a\"\n"));
  Exporter exporter(dir, config, {"--log.level", "debug"});
  Expected e = expected_from(sim);
  Samples s = wait_until(
      exporter,
      [&](const Samples& x) {
        return only(x, "swr_sync_rule_info") == e.rules &&
               only(x, "swr_repository_last_push_timestamp_seconds") == e.pushes &&
               only(x, "swr_sync_latest_job_created_timestamp_seconds") == e.latest_created;
      },
      30s, "the rules, pushes and newest jobs of the simulator");
  check_signals(s, e);
  CHECK(value(s, "swr_exporter_poll_interval_seconds") == 0.5);
  CHECK(value(s, "swr_exporter_rate_limit_requests_per_second") == 30);
  CHECK(promtool_check_metrics(exporter.metrics_text()) == "");

  // A push: the repository's listing entry and its destination's newest job move.
  sim.admin_post("/_sim/jobs",
                 R"({"organization": "team-a", "repository": "app3", "jobs": [{"tag": "v10",)"
                 R"( "status": "waiting", "remoteRegionId": "cn-south-1",)"
                 R"( "remoteNamespace": "team-b"}]})");
  e = expected_from(sim);
  const std::string app3_push = series("swr_repository_last_push_timestamp_seconds",
                                       {{"organization", "team-a"}, {"repository", "app3"}});
  REQUIRE(e.pushes.at(app3_push) > value(s, "swr_repository_last_push_timestamp_seconds",
                                         {{"organization", "team-a"}, {"repository", "app3"}}));
  s = wait_until(
      exporter,
      [&](const Samples& x) {
        return only(x, "swr_repository_last_push_timestamp_seconds") == e.pushes &&
               only(x, "swr_sync_latest_job_created_timestamp_seconds") == e.latest_created;
      },
      30s, "the push");
  check_signals(s, e);

  // Each rule read is counted in swr_exporter_api_requests_total{api="sync_repo"}, as the
  // simulator counts it. That they are read at the discovery cadence, not every cycle, app_test
  // shows on the fake clock; here the next reads are polled for, not waited out.
  const auto counted = [&] {
    return value(exporter.metrics(), "swr_exporter_api_requests_total",
                 {{"api", "sync_repo"}, {"code", "200"}});
  };
  const long before = sim.requests("sync_repo");
  const double counted_before = counted();
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (sim.requests("sync_repo") < before + 3 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(50ms);
  }
  const long reads = sim.requests("sync_repo") - before;
  REQUIRE(reads >= 3);
  // The live part of /metrics is at most a second old: poll until the count has caught up.
  double counted_reads = 0;
  for (int i = 0; i < 100; ++i) {
    counted_reads = counted() - counted_before;
    if (counted_reads >= static_cast<double>(sim.requests("sync_repo") - before) - 1) break;
    std::this_thread::sleep_for(50ms);
  }
  CHECK(std::abs(counted_reads - static_cast<double>(sim.requests("sync_repo") - before)) <= 1);
}

TEST_CASE("[metrics] disabled = swr_sync_rule_info: no rule is read or served") {
  TempDir dir;
  const std::string world = dir.write("world.json", kRulesWorld);
  Sim sim("data = \"" + world + "\"\n");
  const std::string config = dir.write(
      "exporter.toml",
      exporter_config(sim, aksk_auth(),
                      "[metrics]\ndisabled = [\"swr_sync_rule_info\", "
                      "\"swr_exporter_rate_limit_requests_per_second\"]\n\n[[targets]]\n"
                      "organization = \"team-a\"\nrepositories = [\"app1\", \"app3\"]\n"));
  const RunResult r =
      run({exporter_binary(), "--config", config, "--once", "--log.level", "debug"});
  REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  const Samples s = parse_exposition(r.out);
  CHECK(samples_of(s, "swr_sync_rule_info").empty());
  CHECK(r.out.find("swr_exporter_rate_limit_requests_per_second") == std::string::npos);
  CHECK(sim.requests("sync_repo") == 0);
  // The always-on ones stay.
  CHECK(value(s, "swr_exporter_poll_interval_seconds") == 60);
  CHECK(value(s, "swr_exporter_credentials_refused") == 0);
}

TEST_CASE("swr_exporter_credentials_refused: 1 while the simulator refuses, 0 after") {
  TempDir dir;
  Sim sim("data = \"" + data_dir() + "/known_world.json\"\n");
  const std::string config = dir.write(
      "exporter.toml", exporter_config(sim, password_auth(dir),
                                       "[scrape]\ninterval = \"300ms\"\n\n[[targets]]\n"
                                       "organization = \"team-a\"\nrepositories = [\"app1\"]\n"));
  Exporter exporter(dir, config, {"--log.level", "debug"});
  wait_until(
      exporter,
      [](const Samples& x) {
        return value_or(x, "swr_up", 0) == 1 &&
               value_or(x, "swr_exporter_credentials_refused", -1) == 0;
      },
      30s, "a first good cycle");

  sim.outage("credentials", 3);
  Samples s = wait_until(
      exporter,
      [](const Samples& x) { return value_or(x, "swr_exporter_credentials_refused", -1) == 1; },
      20s, "credentials refused");
  s = wait_until(
      exporter, [](const Samples& x) { return value_or(x, "swr_up", 1) == 0; }, 20s,
      "swr_up 0 while refused");
  CHECK(value(s, "swr_exporter_credentials_refused") == 1);
  CHECK(value(s, "swr_exporter_api_requests_total", {{"api", "sync_job"}, {"code", "401"}}) >= 1);
  s = wait_until(
      exporter,
      [](const Samples& x) {
        return value_or(x, "swr_exporter_credentials_refused", -1) == 0 &&
               value_or(x, "swr_up", 0) == 1;
      },
      30s, "accepted again after the outage");
  CHECK(exporter.process().stderr_text().find("APIGW.0301") != std::string::npos);
}

TEST_CASE("swr_exporter_credentials_refused: IAM refusing the password sets it") {
  TempDir dir;
  Sim sim("data = \"" + data_dir() + "/known_world.json\"\n");
  sim.outage("iam_credentials", 60);
  const std::string config =
      dir.write("exporter.toml", exporter_config(sim, password_auth(dir),
                                                 "[[targets]]\norganization = \"team-a\"\n"
                                                 "repositories = [\"app1\"]\n"));
  const RunResult r =
      run({exporter_binary(), "--config", config, "--once", "--log.level", "debug"});
  CHECK(r.exit_code == 1);
  const Samples s = parse_exposition(r.out);
  CHECK(value(s, "swr_exporter_credentials_refused") == 1);
  CHECK(value(s, "swr_exporter_api_requests_total", {{"api", "token"}, {"code", "401"}}) == 1);
  CHECK(value(s, "swr_up") == 0);
}

TEST_CASE("swr_exporter_rate_limit_requests_per_second drops under 429s and climbs back") {
  TempDir dir;
  Sim sim("data = \"" + data_dir() +
          "/known_world.json\"\n\n[[faults]]\norganization = \"team-a\"\nrepository = "
          "\"app1\"\nkind = \"throttle\"\ncount = 3\nretry_after = \"100ms\"\n");
  const std::string config = dir.write(
      "exporter.toml",
      exporter_config(sim, aksk_auth(),
                      "[scrape]\ninterval = \"300ms\"\nmax_requests_per_second = 8\n"
                      "recheck_interval = \"0s\"\n\n[[targets]]\norganization = \"team-a\"\n"
                      "repositories = [\"app1\", \"team/app2\"]\n"));
  Exporter exporter(dir, config, {"--log.level", "debug"});
  // Each 429 halves the rate (not below 8/16 = 0.5), each success wins back 5% of 8 = 0.4.
  Samples s = wait_until(
      exporter,
      [](const Samples& x) {
        return value_or(x, "swr_exporter_rate_limit_requests_per_second", 8) < 8;
      },
      30s, "the rate below 8 after the 429s");
  const double rate = value(s, "swr_exporter_rate_limit_requests_per_second");
  CHECK(rate >= 0.5);
  CHECK(value(s, "swr_exporter_api_requests_total", {{"api", "sync_job"}, {"code", "429"}}) >= 1);
  s = wait_until(
      exporter,
      [](const Samples& x) {
        return value_or(x, "swr_exporter_rate_limit_requests_per_second", 0) == 8;
      },
      60s, "the rate back at 8 once the 429s stop");
  CHECK(value(s, "swr_exporter_api_requests_total", {{"api", "sync_job"}, {"code", "429"}}) == 3);
}

TEST_CASE("metadata: swr_exporter_token_expiry_timestamp_seconds is the temporary keys' expiry") {
  TempDir dir;
  Sim sim("data = \"" + data_dir() + "/known_world.json\"\ntoken_lifetime = \"3h\"\n");
  const std::string config = dir.write(
      "exporter.toml",
      exporter_config(sim,
                      "[auth]\nmethod = \"metadata\"\nmetadata_endpoint = \"" + sim.url() + "\"\n",
                      "[[targets]]\norganization = \"team-a\"\nrepositories = [\"app1\"]\n"));
  const double before = static_cast<double>(std::time(nullptr));
  const RunResult r =
      run({exporter_binary(), "--config", config, "--once", "--log.level", "debug"});
  const double after = static_cast<double>(std::time(nullptr)) + 1;
  REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  const Samples s = parse_exposition(r.out);
  const double expiry = value(s, "swr_exporter_token_expiry_timestamp_seconds");
  CHECK(expiry >= before + 3 * 3600);
  CHECK(expiry <= after + 3 * 3600);
  // Exactly the expires_at the metadata service gave (logged when the keys came).
  std::smatch m;
  REQUIRE(std::regex_search(r.err, m,
                            std::regex("got temporary keys from the metadata service.* "
                                       "expires_at=([0-9T:.Z-]+)")));
  CHECK(expiry == doctest::Approx(unix_seconds(m[1].str())).epsilon(1e-12));
}
