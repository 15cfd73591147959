// The exporter and swr-sim as real processes: exact metrics, paging, faults, auth, CLI.
#include <doctest/doctest.h>
#include <httplib.h>
#include <signal.h>

#include <cmath>
#include <functional>
#include <regex>
#include <set>
#include <thread>

#include "harness.h"

using namespace swr::test;
using namespace std::chrono_literals;

namespace {

const std::string kKnownWorld = data_dir() + "/known_world.json";
constexpr double kBase = 1767225600;  // 2026-01-01T00:00:00Z

std::string known_sim_toml(const std::string& extra = "") {
  return "data = \"" + kKnownWorld + "\"\n" + extra;
}

std::string known_targets(int page_size = 100) {
  return "[scrape]\npage_size = " + std::to_string(page_size) +
         "\ntimeout = \"2s\"\n\n[[targets]]\norganization = \"team-a\"\nrepositories = "
         "[\"app1\", \"team/app2\"]\n";
}

struct Once {
  RunResult result;
  Samples samples;
};

// Every run logs at debug level, so the tests see that even debug logs carry no secret.
Once run_once(const TempDir& dir, const std::string& config_text,
              const std::vector<std::string>& env = {}) {
  const std::string config = dir.write("exporter.toml", config_text);
  Once once;
  once.result =
      run({exporter_binary(), "--config", config, "--once", "--log.level", "debug"}, 120s, env);
  // swr-sim's tokens start with MII, as IAM's do; neither they nor the keys may be logged.
  // (A run of token characters, not the prefix alone: temp-dir names are random letters too.)
  CHECK_FALSE(std::regex_search(once.result.err, std::regex("MII[A-Za-z0-9_-]{20}")));
  CHECK(once.result.err.find(kSimSecretKey) == std::string::npos);
  CHECK(once.result.err.find(kSimPassword) == std::string::npos);
  once.samples = parse_exposition(once.result.out);
  return once;
}

Labels dest(const std::string& repo, const std::string& region, const std::string& org) {
  return {{"organization", "team-a"},
          {"repository", repo},
          {"target_region", region},
          {"target_organization", org}};
}

Labels with(Labels l, const std::string& k, const std::string& v) {
  l[k] = v;
  return l;
}

}  // namespace

TEST_CASE("exact metrics for a known set of jobs") {
  Sim sim(known_sim_toml());
  TempDir dir;
  int page_size = 100;
  long expected_pages = 2;
  SUBCASE("one page per repository") {}
  SUBCASE("many pages per repository") {
    page_size = 2;
    expected_pages = 4 + 1;  // limit 3: app1 3+3+3+0; team/app2 1
  }
  CAPTURE(page_size);
  const Once once = run_once(dir, exporter_config(sim, aksk_auth(), known_targets(page_size)));
  INFO(once.result.err);
  REQUIRE(once.result.exit_code == 0);
  const Samples& s = once.samples;
  const Labels east = dest("app1", "cn-east-3", "team-a");
  const Labels mirror = dest("app1", "ap-southeast-1", "team-a-mirror");
  const Labels app2 = dest("team/app2", "cn-east-3", "team-a");

  // Counts, all seven statuses for every destination; `paused` is unknown.
  const std::map<std::string, double> east_counts = {{"waiting", 1}, {"running", 1}, {"success", 2},
                                                     {"failed", 1},  {"timeout", 0}, {"cancel", 0},
                                                     {"existed", 0}};
  for (const auto& [status, n] : east_counts) {
    CHECK(value(s, "swr_sync_jobs", with(east, "status", status)) == n);
  }
  CHECK_FALSE(has(s, "swr_sync_jobs", with(east, "status", "unknown")));
  CHECK(value(s, "swr_sync_jobs", with(mirror, "status", "timeout")) == 1);
  CHECK(value(s, "swr_sync_jobs", with(mirror, "status", "existed")) == 1);
  CHECK(value(s, "swr_sync_jobs", with(mirror, "status", "cancel")) == 1);
  CHECK(value(s, "swr_sync_jobs", with(mirror, "status", "success")) == 0);
  CHECK(value(s, "swr_sync_jobs", with(mirror, "status", "unknown")) == 1);
  CHECK(value(s, "swr_sync_jobs", with(app2, "status", "success")) == 1);
  CHECK(samples_of(s, "swr_sync_jobs").size() == 7 + 8 + 7);

  // Last finished per status.
  CHECK(value(s, "swr_sync_last_finished_timestamp_seconds", with(east, "status", "success")) ==
        kBase + 7200 + 4);
  CHECK(value(s, "swr_sync_last_finished_timestamp_seconds", with(east, "status", "failed")) ==
        kBase + 3600 + 90);
  CHECK_FALSE(has(s, "swr_sync_last_finished_timestamp_seconds", with(east, "status", "timeout")));
  CHECK(value(s, "swr_sync_last_finished_timestamp_seconds", with(mirror, "status", "cancel")) ==
        doctest::Approx(kBase + 3000.5));
  CHECK(value(s, "swr_sync_last_finished_timestamp_seconds", with(app2, "status", "success")) ==
        doctest::Approx(kBase + 86400.25 + 12.5));

  // Oldest pending: the running job of 03:00; none for the others.
  CHECK(value(s, "swr_sync_oldest_pending_job_created_timestamp_seconds", east) == kBase + 10800);
  CHECK_FALSE(has(s, "swr_sync_oldest_pending_job_created_timestamp_seconds", mirror));
  CHECK_FALSE(has(s, "swr_sync_oldest_pending_job_created_timestamp_seconds", app2));

  // Latest job info, with a tag that needs escaping.
  CHECK(value(s, "swr_sync_latest_job_info", with(with(east, "tag", "v5"), "status", "waiting")) ==
        1);
  CHECK(value(s, "swr_sync_latest_job_info",
              with(with(mirror, "tag", "v9"), "status", "unknown")) == 1);
  CHECK(value(s, "swr_sync_latest_job_info",
              with(with(app2, "tag", "we\"ird\\tag"), "status", "success")) == 1);
  CHECK(samples_of(s, "swr_sync_latest_job_info").size() == 3);

  // Durations: default labels organization, target_region, status.
  const Labels h_east_success = {
      {"organization", "team-a"}, {"target_region", "cn-east-3"}, {"status", "success"}};
  CHECK(value(s, "swr_sync_job_duration_seconds_count", h_east_success) == 3);
  CHECK(value(s, "swr_sync_job_duration_seconds_sum", h_east_success) == doctest::Approx(46.5));
  CHECK(value(s, "swr_sync_job_duration_seconds_bucket", with(h_east_success, "le", "1")) == 0);
  CHECK(value(s, "swr_sync_job_duration_seconds_bucket", with(h_east_success, "le", "5")) == 1);
  CHECK(value(s, "swr_sync_job_duration_seconds_bucket", with(h_east_success, "le", "10")) == 1);
  CHECK(value(s, "swr_sync_job_duration_seconds_bucket", with(h_east_success, "le", "30")) == 3);
  CHECK(value(s, "swr_sync_job_duration_seconds_bucket", with(h_east_success, "le", "+Inf")) == 3);
  const Labels h_failed = with(h_east_success, "status", "failed");
  CHECK(value(s, "swr_sync_job_duration_seconds_bucket", with(h_failed, "le", "60")) == 0);
  CHECK(value(s, "swr_sync_job_duration_seconds_bucket", with(h_failed, "le", "120")) == 1);
  const Labels h_timeout = {
      {"organization", "team-a"}, {"target_region", "ap-southeast-1"}, {"status", "timeout"}};
  CHECK(value(s, "swr_sync_job_duration_seconds_bucket", with(h_timeout, "le", "3600")) == 0);
  CHECK(value(s, "swr_sync_job_duration_seconds_bucket", with(h_timeout, "le", "7200")) == 1);
  CHECK(value(s, "swr_sync_job_duration_seconds_sum", with(h_timeout, "status", "cancel")) ==
        doctest::Approx(0.5));
  CHECK(value(s, "swr_sync_job_duration_seconds_count", with(h_timeout, "status", "success")) == 0);
  CHECK(value(s, "swr_sync_job_duration_seconds_count",
              with(h_east_success, "status", "timeout")) == 0);
  CHECK(samples_of(s, "swr_sync_job_duration_seconds_count").size() == 10);

  // The exporter's own figures.
  CHECK(value(s, "swr_up") == 1);
  CHECK(value(s, "swr_exporter_repository_up",
              {{"organization", "team-a"}, {"repository", "app1"}}) == 1);
  CHECK(value(s, "swr_exporter_repository_up",
              {{"organization", "team-a"}, {"repository", "team/app2"}}) == 1);
  CHECK(value(s, "swr_exporter_api_requests_total", {{"api", "sync_job"}, {"code", "200"}}) ==
        expected_pages);
  CHECK(value(s, "swr_exporter_api_request_duration_seconds_count", {{"api", "sync_job"}}) ==
        expected_pages);
  CHECK(sim.requests("sync_job") == expected_pages);
  CHECK(value(s, "swr_exporter_last_success_timestamp_seconds") ==
        value(s, "swr_exporter_last_cycle_timestamp_seconds"));
  CHECK(value(s, "swr_exporter_cycle_duration_seconds") >= 0);
  CHECK(samples_of(s, "swr_exporter_build_info").size() == 1);
  CHECK(has(s, "process_resident_memory_bytes"));
  CHECK(has(s, "process_open_fds"));
  CHECK_FALSE(has(s, "swr_exporter_token_expiry_timestamp_seconds"));  // AK/SK has no token

  CHECK(promtool_check_metrics(once.result.out) == "");
}

TEST_CASE("faults: each one ends with exact metrics") {
  TempDir dir;
  const Labels app1 = {{"organization", "team-a"}, {"repository", "app1"}};
  const Labels app2 = {{"organization", "team-a"}, {"repository", "team/app2"}};
  auto fault = [](const std::string& body) {
    return "[[faults]]\norganization = \"team-a\"\nrepository = \"app1\"\n" + body + "\n";
  };

  SUBCASE("a burst of 5xx is retried away") {
    Sim sim(known_sim_toml(fault("kind = \"server_error\"\ncount = 2")));
    const Once once = run_once(dir, exporter_config(sim, aksk_auth(), known_targets()));
    INFO(once.result.err);
    CHECK(once.result.exit_code == 0);
    CHECK(value(once.samples, "swr_exporter_api_requests_total",
                {{"api", "sync_job"}, {"code", "500"}}) == 2);
    CHECK(value(once.samples, "swr_exporter_api_requests_total",
                {{"api", "sync_job"}, {"code", "200"}}) == 2);
    CHECK(value(once.samples, "swr_sync_jobs",
                with(dest("app1", "cn-east-3", "team-a"), "status", "success")) == 2);
  }
  SUBCASE("a 502 from the gateway is retried too") {
    Sim sim(known_sim_toml(fault("kind = \"bad_gateway\"\ncount = 1")));
    const Once once = run_once(dir, exporter_config(sim, aksk_auth(), known_targets()));
    CHECK(once.result.exit_code == 0);
    CHECK(value(once.samples, "swr_exporter_api_requests_total",
                {{"api", "sync_job"}, {"code", "502"}}) == 1);
  }
  SUBCASE("throttling: 429 APIG.0308 with Retry-After is honoured") {
    Sim sim(known_sim_toml(fault("kind = \"throttle\"\ncount = 1\nretry_after = \"1s\"")));
    const auto start = std::chrono::steady_clock::now();
    const Once once = run_once(dir, exporter_config(sim, aksk_auth(), known_targets()));
    const auto took = std::chrono::steady_clock::now() - start;
    INFO(once.result.err);
    CHECK(once.result.exit_code == 0);
    CHECK(value(once.samples, "swr_exporter_api_requests_total",
                {{"api", "sync_job"}, {"code", "429"}}) == 1);
    CHECK(took >= 1s);  // waited as told, not less
    CHECK(value(once.samples, "swr_up") == 1);
  }
  SUBCASE("a 5xx that never ends: the repository is down, the other one is not") {
    Sim sim(known_sim_toml(fault("kind = \"server_error\"")));
    const Once once = run_once(dir, exporter_config(sim, aksk_auth(), known_targets()));
    CHECK(once.result.exit_code == 1);
    CHECK(value(once.samples, "swr_up") == 0);
    CHECK(value(once.samples, "swr_exporter_repository_up", app1) == 0);
    CHECK(value(once.samples, "swr_exporter_repository_up", app2) == 1);
    CHECK(value(once.samples, "swr_exporter_api_requests_total",
                {{"api", "sync_job"}, {"code", "500"}}) == 4);
    CHECK(once.result.err.find("SVCSTG.SWR.5000000") != std::string::npos);
    CHECK_FALSE(has(once.samples, "swr_exporter_last_success_timestamp_seconds"));
  }
  SUBCASE("slow answers beyond the timeout fail that repository only") {
    Sim sim(known_sim_toml(fault("kind = \"slow\"\ndelay = \"5s\"")));
    const Once once = run_once(dir, exporter_config(sim, aksk_auth(), known_targets()));
    CHECK(once.result.exit_code == 1);
    CHECK(value(once.samples, "swr_exporter_repository_up", app1) == 0);
    CHECK(value(once.samples, "swr_exporter_repository_up", app2) == 1);
    CHECK(value(once.samples, "swr_exporter_api_requests_total",
                {{"api", "sync_job"}, {"code", "network"}}) >= 1);
  }
  SUBCASE("malformed JSON is reported with where it broke") {
    Sim sim(known_sim_toml(fault("kind = \"malformed_json\"")));
    const Once once = run_once(dir, exporter_config(sim, aksk_auth(), known_targets()));
    CHECK(once.result.exit_code == 1);
    CHECK(value(once.samples, "swr_exporter_repository_up", app1) == 0);
    CHECK(once.result.err.find("malformed JSON at byte") != std::string::npos);
    CHECK(promtool_check_metrics(once.result.out) == "");
  }
  SUBCASE("a lying Content-Range neither loops nor skips") {
    for (const char* mode : {"total_too_small", "total_too_large", "garbage", "missing"}) {
      CAPTURE(mode);
      Sim sim(known_sim_toml(
          fault(std::string("kind = \"lying_content_range\"\nmode = \"") + mode + "\"")));
      const Once once = run_once(dir, exporter_config(sim, aksk_auth(), known_targets(2)));
      CHECK(once.result.exit_code == 0);
      double jobs = 0;
      for (const auto& [key, v] : samples_of(once.samples, "swr_sync_jobs")) {
        if (key.find("repository=\"app1\"") != std::string::npos) jobs += v;
      }
      CHECK(jobs == 9);
      CHECK(sim.requests("sync_job") == 5);
    }
  }
  SUBCASE("an unknown repository is down and has no series") {
    Sim sim(known_sim_toml());
    const Once once = run_once(
        dir, exporter_config(
                 sim, aksk_auth(),
                 "[[targets]]\norganization = \"team-a\"\nrepositories = [\"app1\", \"nope\"]\n"));
    CHECK(once.result.exit_code == 1);
    CHECK(value(once.samples, "swr_exporter_repository_up",
                {{"organization", "team-a"}, {"repository", "nope"}}) == 0);
    CHECK(value(once.samples, "swr_exporter_api_requests_total",
                {{"api", "sync_job"}, {"code", "404"}}) == 1);
    for (const auto& [key, v] : once.samples) {
      const bool about_nope = key.find("repository=\"nope\"") != std::string::npos;
      CHECK((!about_nope || key.starts_with("swr_exporter_repository_up")));
    }
  }
}

TEST_CASE("authentication: every method, and refusals") {
  TempDir dir;
  Sim sim(known_sim_toml("token_lifetime = \"1h\"\n"));
  const std::string password_auth =
      "[auth]\nmethod = \"password\"\ndomain_name = \"sim-domain\"\nuser_name = \"sim-user\"\n";

  SUBCASE("password from the environment, token cached for the whole cycle") {
    const Once once = run_once(dir, exporter_config(sim, password_auth, known_targets(2)),
                               {std::string("SWR_EXPORTER_PASSWORD=") + kSimPassword});
    INFO(once.result.err);
    CHECK(once.result.exit_code == 0);
    CHECK(value(once.samples, "swr_exporter_api_requests_total",
                {{"api", "token"}, {"code", "201"}}) == 1);
    const double expiry = value(once.samples, "swr_exporter_token_expiry_timestamp_seconds");
    const double now = static_cast<double>(std::time(nullptr));
    CHECK(expiry > now + 3500);
    CHECK(expiry < now + 3700);
  }
  SUBCASE("a token that expires in the middle of a cycle is renewed once and the cycle goes on") {
    Sim expiring(
        known_sim_toml("[[faults]]\norganization = \"team-a\"\nrepository = \"app1\"\nkind = "
                       "\"token_expiry\"\nafter = 2\ncount = 1\n"));
    const Once once = run_once(dir, exporter_config(expiring, password_auth, known_targets(2)),
                               {std::string("SWR_EXPORTER_PASSWORD=") + kSimPassword});
    INFO(once.result.err);
    CHECK(once.result.exit_code == 0);
    CHECK(value(once.samples, "swr_exporter_api_requests_total",
                {{"api", "token"}, {"code", "201"}}) == 2);
    CHECK(value(once.samples, "swr_exporter_api_requests_total",
                {{"api", "sync_job"}, {"code", "401"}}) >= 1);
    CHECK(value(once.samples, "swr_up") == 1);
  }
  SUBCASE("a wrong password: one token request, no SWR request, exit 1") {
    const Once once = run_once(dir, exporter_config(sim, password_auth, known_targets()),
                               {"SWR_EXPORTER_PASSWORD=wrong-password-123"});
    CHECK(once.result.exit_code == 1);
    CHECK(value(once.samples, "swr_exporter_api_requests_total",
                {{"api", "token"}, {"code", "401"}}) == 1);
    CHECK(sim.requests("sync_job") == 0);
    CHECK(once.result.err.find("wrong-password-123") == std::string::npos);
  }
  SUBCASE("a token from a file") {
    // Get a token from the simulator's IAM the way an operator's tooling would.
    const std::string token_file = dir.path() + "/token";
    const RunResult issue = run(
        {"/bin/sh", "-c",
         "curl -s -o /dev/null -D - -H 'Content-Type: application/json' -X POST '" + sim.url() +
             "/v3/auth/tokens?nocatalog=true' --data "
             "'{\"auth\":{\"identity\":{\"methods\":[\"password\"],"
             "\"password\":{\"user\":{\"domain\":{\"name\":\"sim-domain\"},\"name\":\"sim-user\","
             "\"password\":\"sim-password\"}}},\"scope\":{\"project\":{\"name\":\"cn-north-4\"}}}}'"
             " | "
             "tr -d '\\r' | sed -n 's/^[Xx]-[Ss]ubject-[Tt]oken: //p' > " +
             token_file + " && chmod 600 " + token_file});
    REQUIRE(issue.exit_code == 0);
    const Once once = run_once(
        dir,
        exporter_config(sim, "[auth]\nmethod = \"token\"\ntoken_file = \"" + token_file + "\"\n",
                        known_targets()));
    INFO(once.result.err);
    CHECK(once.result.exit_code == 0);
    CHECK(value(once.samples, "swr_exporter_token_expiry_timestamp_seconds") > std::time(nullptr));
    CHECK(value(once.samples, "swr_up") == 1);
  }
  SUBCASE("temporary keys from the metadata service") {
    const Once once = run_once(
        dir, exporter_config(
                 sim, "[auth]\nmethod = \"metadata\"\nmetadata_endpoint = \"" + sim.url() + "\"\n",
                 known_targets(2)));
    INFO(once.result.err);
    CHECK(once.result.exit_code == 0);
    CHECK(value(once.samples, "swr_exporter_api_requests_total",
                {{"api", "metadata"}, {"code", "200"}}) == 2);  // session token, then the keys
    CHECK(value(once.samples, "swr_up") == 1);
    // The security token is not logged.
    CHECK_FALSE(std::regex_search(once.result.err, std::regex("gQ[A-Z0-9]{20}")));
  }
  SUBCASE("AK/SK from the environment") {
    const Once once =
        run_once(dir, exporter_config(sim, "[auth]\nmethod = \"aksk\"\n", known_targets()),
                 {std::string("HUAWEICLOUD_SDK_AK=") + kSimAccessKey,
                  std::string("HUAWEICLOUD_SDK_SK=") + kSimSecretKey});
    CHECK(once.result.exit_code == 0);
    CHECK(value(once.samples, "swr_up") == 1);
  }
  SUBCASE("a wrong secret key: one refused request, then nothing more this cycle") {
    const Once once = run_once(
        dir,
        exporter_config(
            sim,
            std::string("[auth]\naccess_key = \"") + kSimAccessKey +
                "\"\nsecret_key = \"not-the-right-secret\"\n",
            known_targets() +
                "\n[[targets]]\norganization = \"other\"\nrepositories = [\"a\", \"b\", \"c\"]\n"));
    CHECK(once.result.exit_code == 1);
    CHECK(value(once.samples, "swr_exporter_api_requests_total",
                {{"api", "sync_job"}, {"code", "401"}}) <= 4);
    CHECK(once.result.err.find("not-the-right-secret") == std::string::npos);
    CHECK(once.result.err.find("APIG.0301") != std::string::npos);
  }
}

TEST_CASE("--check-config and the command line") {
  TempDir dir;
  const std::string good = dir.write(
      "good.toml",
      "[huaweicloud]\nregion = \"cn-north-4\"\n[auth]\naccess_key = \"a\"\nsecret_key = \"b\"\n"
      "[[targets]]\norganization = \"o\"\nrepositories = [\"r\"]\n");
  RunResult r = run({exporter_binary(), "--config", good, "--check-config"});
  CHECK(r.exit_code == 0);
  const std::string bad = dir.write(
      "bad.toml",
      "[huaweicloud]\nregion = \"cn-north-4\"\n[auth]\naccess_key = \"a\"\nsecret_key = \"b\"\n"
      "[scrape]\nintervall = \"5s\"\n[[targets]]\norganization = \"o\"\nrepositories = [\"r\"]\n");
  r = run({exporter_binary(), "--config", bad, "--check-config"});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find(bad + ":7:1: ") != std::string::npos);
  CHECK(r.err.find("interval") != std::string::npos);
  // Start-up reports a bad configuration the same way.
  r = run({exporter_binary(), "--config", bad, "--once"});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find(bad + ":7:1: ") != std::string::npos);
  r = run({exporter_binary(), "--config", dir.path() + "/missing.toml", "--check-config"});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("missing.toml") != std::string::npos);

  r = run({exporter_binary(), "--version"});
  CHECK(r.exit_code == 0);
  CHECK(r.out.rfind("swr-sync-exporter ", 0) == 0);
  r = run({exporter_binary(), "--help"});
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("--web.listen-address") != std::string::npos);
  r = run({exporter_binary(), "--bogus"});
  CHECK(r.exit_code == 2);
  r = run({exporter_binary(), "--log.level", "loud"});
  CHECK(r.exit_code == 2);
}

TEST_CASE("serving: endpoints, background cycles, series that go, clean stop") {
  Sim sim(known_sim_toml());
  TempDir dir;
  const std::string config =
      dir.write("exporter.toml",
                exporter_config(sim, aksk_auth(),
                                "[scrape]\ninterval = \"300ms\"\n\n" +
                                    known_targets().substr(known_targets().find("[[targets]]"))));
  Process exporter({exporter_binary(), "--config", config, "--web.listen-address", "127.0.0.1:0",
                    "--log.level", "debug"},
                   dir.path() + "/exporter.err");
  const auto listening = exporter.wait_for_stderr("msg=listening", 10s);
  REQUIRE_MESSAGE(listening, exporter.stderr_text());
  const int port = std::stoi(listening->substr(listening->find("port=") + 5));

  int status = 0;
  CHECK(http_get(port, "/-/healthy", {}, &status) != "");
  CHECK(status == 200);
  for (int i = 0; i < 200; ++i) {
    http_get(port, "/-/ready", {}, &status);
    if (status == 200) break;
    std::this_thread::sleep_for(20ms);
  }
  CHECK(status == 200);
  const std::string landing = http_get(port, "/", {}, &status);
  CHECK(landing.find("/metrics") != std::string::npos);

  std::map<std::string, std::string> headers;
  const std::string gz =
      http_get(port, "/metrics", {{"Accept-Encoding", "gzip"}}, &status, &headers);
  CHECK(status == 200);
  CHECK(headers["Content-Encoding"] == "gzip");
  CHECK(gz.size() > 2);
  CHECK(static_cast<unsigned char>(gz[0]) == 0x1f);

  std::string text = http_get(port, "/metrics", {}, &status);
  Samples s = parse_exposition(text);
  CHECK(value(s, "swr_up") == 1);
  CHECK(promtool_check_metrics(text) == "");
  const double first_cycle = value(s, "swr_exporter_last_cycle_timestamp_seconds");
  const double success_count =
      value(s, "swr_sync_job_duration_seconds_count",
            {{"organization", "team-a"}, {"target_region", "cn-east-3"}, {"status", "success"}});

  // New jobs arrive: later cycles count them once, and never recount the old ones.
  sim.admin_post(
      "/_sim/jobs",
      R"({"organization":"team-a","repository":"app1","jobs":[{"tag":"v6","status":"failed","remoteRegionId":"cn-east-3","remoteNamespace":"team-a","duration_seconds":3}]})");
  // The repository goes away: its series go with it.
  sim.admin_post("/_sim/delete-repository",
                 R"({"organization":"team-a","repository":"team/app2"})");
  bool seen = false;
  for (int i = 0; i < 300 && !seen; ++i) {
    std::this_thread::sleep_for(100ms);
    s = parse_exposition(http_get(port, "/metrics"));
    seen = value(s, "swr_sync_jobs",
                 with(dest("app1", "cn-east-3", "team-a"), "status", "failed")) == 2 &&
           !has(s, "swr_sync_jobs",
                with(dest("team/app2", "cn-east-3", "team-a"), "status", "success"));
  }
  REQUIRE(seen);
  // Two more cycles (polled for, not waited out): neither recounts a job.
  double cycle_seen = value(s, "swr_exporter_last_cycle_timestamp_seconds");
  for (int more = 0, i = 0; more < 2 && i < 500; ++i) {
    std::this_thread::sleep_for(20ms);
    s = parse_exposition(http_get(port, "/metrics"));
    const double cycle = value(s, "swr_exporter_last_cycle_timestamp_seconds");
    if (cycle > cycle_seen) {
      cycle_seen = cycle;
      ++more;
    }
  }
  CHECK(value(s, "swr_exporter_last_cycle_timestamp_seconds") > first_cycle);
  const Labels failed = {
      {"organization", "team-a"}, {"target_region", "cn-east-3"}, {"status", "failed"}};
  CHECK(value(s, "swr_sync_job_duration_seconds_count", failed) == 2);
  // team/app2's one success job is gone with its repository, app1's two stay, counted once.
  CHECK(
      value(s, "swr_sync_job_duration_seconds_count",
            {{"organization", "team-a"}, {"target_region", "cn-east-3"}, {"status", "success"}}) ==
      success_count);
  for (const auto& sample : s) {
    const std::string& key = sample.first;
    if (key.find("team/app2") != std::string::npos) {
      CHECK_MESSAGE(key.starts_with("swr_exporter_repository_up"), key);
    }
  }
  CHECK(value(s, "swr_exporter_repository_up",
              {{"organization", "team-a"}, {"repository", "team/app2"}}) == 0);

  const auto stop_start = std::chrono::steady_clock::now();
  exporter.signal(SIGTERM);
  const auto code = exporter.wait(5s);
  CHECK(code == 0);
  CHECK(std::chrono::steady_clock::now() - stop_start < 2s);
  // At debug level, no secret shows up in the logs.
  CHECK(exporter.stderr_text().find(kSimSecretKey) == std::string::npos);
}

TEST_CASE("paging a generated world: every job counted, each final job observed once") {
  Sim sim("seed = 11\norganizations = 1\nrepositories = 3\njobs = 1000\n");
  TempDir dir;
  const Once once = run_once(
      dir, exporter_config(sim, aksk_auth(),
                           "[scrape]\npage_size = 100\nconcurrency = 3\n\n[[targets]]\n"
                           "organization = \"team-a\"\n"
                           "repositories = [\"app1\", \"tools/builder\", \"api-gateway\"]\n"));
  INFO(once.result.err);
  REQUIRE(once.result.exit_code == 0);
  double jobs = 0, final_jobs = 0, observed = 0;
  for (const auto& [key, v] : samples_of(once.samples, "swr_sync_jobs")) {
    jobs += v;
    if (key.find("status=\"waiting\"") == std::string::npos &&
        key.find("status=\"running\"") == std::string::npos &&
        key.find("status=\"unknown\"") == std::string::npos) {
      final_jobs += v;
    }
  }
  for (const auto& [key, v] : samples_of(once.samples, "swr_sync_job_duration_seconds_count")) {
    observed += v;
  }
  CHECK(jobs == 3000);
  CHECK(observed == final_jobs);
  // Pages of 101 (page_size + 1): nine full ones and a short one of 91 per repository.
  CHECK(sim.requests("sync_job") == 30);
  CHECK(value(once.samples, "swr_exporter_api_requests_total",
              {{"api", "sync_job"}, {"code", "200"}}) == 30);
}

TEST_CASE("discovery and sharding against the simulator") {
  Sim sim("seed = 5\norganizations = 2\nrepositories = 3\njobs = 20\n");
  TempDir dir;
  auto repositories_up = [](const Samples& s) {
    std::set<std::string> out;
    for (const auto& [key, v] : samples_of(s, "swr_exporter_repository_up")) out.insert(key);
    return out;
  };
  const Once all = run_once(dir, exporter_config(sim, aksk_auth(), ""));
  INFO(all.result.err);
  REQUIRE(all.result.exit_code == 0);
  const std::set<std::string> everything = repositories_up(all.samples);
  CHECK(everything.size() == 6);
  CHECK(everything.count(series("swr_exporter_repository_up",
                                {{"organization", "platform"}, {"repository", "base/alpine"}})));
  CHECK(value(all.samples, "swr_exporter_api_requests_total",
              {{"api", "namespaces"}, {"code", "200"}}) == 1);
  CHECK(value(all.samples, "swr_exporter_api_requests_total",
              {{"api", "repos"}, {"code", "200"}}) == 2);
  CHECK(value(all.samples, "swr_exporter_total_shards") == 1);

  const Once filtered =
      run_once(dir, exporter_config(sim, aksk_auth(),
                                    "[discovery]\nexclude = \".*/base/.*\"\n\n[[targets]]\n"
                                    "organization = \"platform\"\n"));
  CHECK(repositories_up(filtered.samples) ==
        std::set<std::string>{
            series("swr_exporter_repository_up",
                   {{"organization", "platform"}, {"repository", "api-gateway"}}),
            series("swr_exporter_repository_up",
                   {{"organization", "platform"}, {"repository", "tools/builder"}})});

  std::set<std::string> union_of_shards;
  std::size_t sum = 0;
  const std::string config = dir.write("all.toml", exporter_config(sim, aksk_auth(), ""));
  for (int shard = 0; shard < 3; ++shard) {
    const RunResult r = run({exporter_binary(), "--config", config, "--once", "--shard",
                             std::to_string(shard), "--total-shards", "3"});
    CHECK(r.exit_code == 0);
    const Samples s = parse_exposition(r.out);
    const auto part = repositories_up(s);
    sum += part.size();
    union_of_shards.insert(part.begin(), part.end());
    CHECK(value(s, "swr_exporter_shard_ordinal") == shard);
    CHECK(value(s, "swr_exporter_total_shards") == 3);
  }
  CHECK(sum == everything.size());
  CHECK(union_of_shards == everything);
  CHECK(
      run({exporter_binary(), "--config", config, "--once", "--shard", "3", "--total-shards", "3"})
          .exit_code == 2);
}

TEST_CASE("reload: SIGHUP and POST /-/reload apply a new configuration; a bad one is refused") {
  Sim sim(known_sim_toml());
  TempDir dir;
  auto config_for = [&](const std::string& repositories) {
    return exporter_config(sim, aksk_auth(),
                           "[scrape]\ninterval = \"200ms\"\n\n[[targets]]\norganization = "
                           "\"team-a\"\nrepositories = [" +
                               repositories + "]\n");
  };
  const std::string config = dir.write("exporter.toml", config_for("\"app1\""));
  Process exporter({exporter_binary(), "--config", config, "--web.listen-address", "127.0.0.1:0",
                    "--web.enable-lifecycle"},
                   dir.path() + "/exporter.err");
  const auto listening = exporter.wait_for_stderr("msg=listening", 10s);
  REQUIRE_MESSAGE(listening, exporter.stderr_text());
  const int port = std::stoi(listening->substr(listening->find("port=") + 5));
  const Labels app1 = {{"organization", "team-a"}, {"repository", "app1"}};
  const Labels app2 = {{"organization", "team-a"}, {"repository", "team/app2"}};
  auto wait_until = [&](const std::function<bool(const Samples&)>& ok) {
    for (int i = 0; i < 400; ++i) {  // up to 20 s: CI machines can be busy
      const Samples s = parse_exposition(http_get(port, "/metrics"));
      if (ok(s)) return s;
      std::this_thread::sleep_for(50ms);
    }
    FAIL("condition not reached; stderr: " << exporter.stderr_text());
    return Samples{};
  };
  Samples s =
      wait_until([&](const Samples& s) { return has(s, "swr_exporter_repository_up", app1); });
  CHECK_FALSE(has(s, "swr_exporter_repository_up", app2));
  const double histogram_before =
      value(s, "swr_sync_job_duration_seconds_count",
            {{"organization", "team-a"}, {"target_region", "cn-east-3"}, {"status", "success"}});

  dir.write("exporter.toml", config_for("\"app1\", \"team/app2\""));
  exporter.signal(SIGHUP);
  s = wait_until([&](const Samples& s) { return has(s, "swr_exporter_repository_up", app2); });
  CHECK(value(s, "swr_exporter_config_last_reload_successful") == 1);
  // The ledger survived the reload: app1's jobs were not counted again, app2's were added.
  CHECK(
      value(s, "swr_sync_job_duration_seconds_count",
            {{"organization", "team-a"}, {"target_region", "cn-east-3"}, {"status", "success"}}) ==
      histogram_before + 1);

  dir.write("exporter.toml", config_for("\"app1\"") + "\n[scrape]\nbogus = 1\n");
  exporter.signal(SIGHUP);
  s = wait_until([&](const Samples& s) {
    return value(s, "swr_exporter_config_last_reload_successful") == 0;
  });
  CHECK(has(s, "swr_exporter_repository_up", app2));  // the old configuration keeps running
  CHECK(exporter.wait_for_stderr("configuration not reloaded", 2s));

  dir.write("exporter.toml", config_for("\"team/app2\""));
  httplib::Client client("127.0.0.1", port);
  auto res = client.Post("/-/reload", "", "text/plain");
  REQUIRE(res);
  CHECK(res->status == 200);
  s = wait_until([&](const Samples& s) {
    return !has(s, "swr_exporter_repository_up", app1) &&
           value(s, "swr_exporter_config_last_reload_successful") == 1;
  });
  CHECK(has(s, "swr_exporter_repository_up", app2));

  dir.write("exporter.toml", "not toml at all [");
  res = client.Post("/-/reload", "", "text/plain");
  REQUIRE(res);
  CHECK(res->status == 500);
  CHECK(res->body.find("exporter.toml:1:") != std::string::npos);

  exporter.signal(SIGTERM);
  CHECK(exporter.wait(5s) == 0);
}
