#include "sim_test_support.h"

using namespace swr::sim;

TEST_CASE("durations") {
  CHECK(parse_duration_ms("500ms") == 500);
  CHECK(parse_duration_ms("30s") == 30000);
  CHECK(parse_duration_ms("5m") == 300000);
  CHECK(parse_duration_ms("24h") == 86400000);
  CHECK(parse_duration_ms("1h30m") == 5400000);
  CHECK(parse_duration_ms("0") == 0);
  CHECK(parse_duration_ms("0s") == 0);
  CHECK_FALSE(parse_duration_ms(""));
  CHECK_FALSE(parse_duration_ms("5"));
  CHECK_FALSE(parse_duration_ms("-5s"));
  CHECK_FALSE(parse_duration_ms("5 s"));
  CHECK_FALSE(parse_duration_ms("1d"));
}

TEST_CASE("TOML settings, with flags over them") {
  const swr::sim::test::TempFile file(R"(
listen = "127.0.0.1:0"
seed = 7
organizations = 3
repositories = 4
jobs = 10
token_lifetime = "1h"
churn_interval = "500ms"
legacy_error_bodies = true

[credentials]
access_key = "AK"
secret_key = "SK"

[[faults]]
organization = "team-a"
repository = "app1"
kind = "throttle"
count = 2
retry_after = "3s"

[[faults]]
organization = "team-a"
repository = "tools/builder"
kind = "lying_content_range"
mode = "garbage"
)",
                                      ".toml");
  const std::string path = file.path.string();
  const char* argv[] = {"swr-sim", "--config", path.c_str(),
                        "--seed",  "9",        "--listen=0.0.0.0:8080"};
  const CommandLine cl = parse_command_line(6, argv);
  const SimConfig& c = cl.config;
  CHECK(c.seed == 9);
  CHECK(c.listen_host == "0.0.0.0");
  CHECK(c.listen_port == 8080);
  CHECK(c.organizations == 3);
  CHECK(c.token_lifetime_ms == 3600000);
  CHECK(c.churn_interval_ms == 500);
  CHECK(c.legacy_error_bodies);
  CHECK(c.credentials.access_key == "AK");
  CHECK(c.credentials.password == "sim-password");
  REQUIRE(c.faults.size() == 2);
  CHECK(c.faults[0].kind == FaultKind::kThrottle);
  CHECK(c.faults[0].count == 2);
  CHECK(c.faults[0].retry_after_ms == 3000);
  CHECK(c.faults[1].mode == RangeLie::kGarbage);
}

TEST_CASE("bad settings name the flag or key") {
  auto toml_error = [](const std::string& text) {
    SimConfig c;
    try {
      apply_toml(text, "sim.toml", c);
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK(toml_error("seed = \"x\"").find("sim.toml:1:") == 0);
  CHECK(toml_error("seed = \"x\"").find("seed") != std::string::npos);
  CHECK(toml_error("sede = 1").find("sede") != std::string::npos);
  CHECK(toml_error("token_lifetime = \"forever\"").find("token_lifetime") != std::string::npos);
  CHECK(toml_error("listen = \"localhost\"").find("listen") != std::string::npos);
  CHECK(toml_error("seed = ").find("sim.toml:1:") == 0);
  CHECK(toml_error("[[faults]]\norganization=\"a\"\nrepository=\"b\"\nkind=\"boom\"")
            .find("faults[0].kind") != std::string::npos);
  CHECK(toml_error("[[faults]]\norganization=\"a\"\nrepository=\"b\"\nkind=\"slow\"\nmode=\"x\"")
            .find("faults[0].mode") != std::string::npos);
  CHECK(toml_error("[[faults]]\nkind=\"slow\"").find("faults[0]") != std::string::npos);
  CHECK(toml_error("[credentials]\ntoken = \"x\"").find("credentials.token") != std::string::npos);

  auto flag_error = [](std::vector<const char*> args) {
    args.insert(args.begin(), "swr-sim");
    try {
      parse_command_line(static_cast<int>(args.size()), args.data());
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK(flag_error({"--jobs", "many"}).find("--jobs") == 0);
  CHECK(flag_error({"--bogus", "1"}).find("--bogus") == 0);
  CHECK(flag_error({"--churn-interval", "3x"}).find("--churn-interval") == 0);
  CHECK(flag_error({"--listen", "1.2.3.4:99999"}).find("--listen") == 0);
  CHECK(flag_error({"--seed"}).find("--seed") == 0);
  CHECK(flag_error({"--config", "/nonexistent.toml"}).find("--config") == 0);
  CHECK(flag_error({"stray"}).find("stray") != std::string::npos);
  CHECK(flag_error({"--token-lifetime", "30s", "--verbose"}) == "no error");
}
