#include <doctest/doctest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "config/config_loader.h"
#include "model/metric_families.h"

namespace swr::config {
namespace {

using std::chrono::milliseconds;

// An environment with only the variables a test gives it.
EnvLookup fake_env(std::map<std::string, std::string> variables = {}) {
  return [variables = std::move(variables)](const std::string& name) -> std::optional<std::string> {
    const auto it = variables.find(name);
    if (it == variables.end()) return std::nullopt;
    return it->second;
  };
}

// A mkdtemp directory, removed with everything in it when the test ends.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "swr-config-XXXXXX").string();
    REQUIRE(mkdtemp(pattern.data()) != nullptr);
    path_ = pattern;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }

  std::string write(const std::string& name, const std::string& content, mode_t mode = 0600) const {
    const std::string file = (path_ / name).string();
    std::ofstream(file, std::ios::binary) << content;
    REQUIRE(chmod(file.c_str(), mode) == 0);
    return file;
  }
  std::string path(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

LoadResult load(std::string_view text, const EnvLookup& env = fake_env()) {
  return load_config_text(text, "test.toml", env);
}

// The config a text yields; fails the test with the error when there is none.
Config load_ok(std::string_view text, const EnvLookup& env = fake_env()) {
  LoadResult result = load(text, env);
  INFO((result.config ? std::string("no error") : result.config.error().to_string()));
  REQUIRE(result.config.has_value());
  return *result.config;
}

// The error a text yields, as `file:line:col: message`; fails the test when it loads.
std::string load_error(std::string_view text, const EnvLookup& env = fake_env()) {
  LoadResult result = load(text, env);
  REQUIRE_FALSE(result.config.has_value());
  return result.config.error().to_string();
}

constexpr std::string_view kCloud = "[huaweicloud]\nregion = \"cn-north-4\"\n";
constexpr std::string_view kAuth = "[auth]\naccess_key = \"AK\"\nsecret_key = \"SK\"\n";
constexpr std::string_view kTargets =
    "[[targets]]\norganization = \"team-a\"\nrepositories = [\"app1\"]\n";

// A valid config with `section` added; `section` may replace a part by naming it first.
std::string config_with(std::string_view section, std::string_view cloud = kCloud,
                        std::string_view auth = kAuth, std::string_view targets = kTargets) {
  return std::string(cloud) + std::string(auth) + std::string(section) + std::string(targets);
}

std::string with_auth(std::string_view auth) { return config_with("", kCloud, auth); }

std::string with_targets(std::string_view targets) {
  return config_with("", kCloud, kAuth, targets);
}

std::string with_cloud(std::string_view cloud) { return config_with("", cloud); }

// `first` before any table, then [huaweicloud] and [auth] but no [[targets]].
std::string at_top(std::string_view first) {
  return std::string(first) + std::string(kCloud) + std::string(kAuth);
}

// --- the whole file ---------------------------------------------------------------------------

TEST_CASE("a minimal config gets every default") {
  const Config config = load_ok(config_with(""));
  CHECK(config.path == "test.toml");
  CHECK(config.huaweicloud.region == "cn-north-4");
  CHECK(config.huaweicloud.swr_endpoint == "https://swr-api.cn-north-4.myhuaweicloud.com");
  CHECK(config.huaweicloud.iam_endpoint == "https://iam.cn-north-4.myhuaweicloud.com");
  CHECK(config.huaweicloud.project_id.empty());
  CHECK(config.huaweicloud.ca_file.empty());
  CHECK(config.auth.method == AuthMethod::kAkSk);
  CHECK(config.auth.access_key.value == "AK");
  CHECK(config.auth.access_key.source == "auth.access_key");
  CHECK(config.auth.secret_key.value == "SK");
  CHECK(config.auth.secret_key.source == "auth.secret_key");
  CHECK(config.scrape.interval == milliseconds(60'000));
  CHECK(config.scrape.timeout == milliseconds(10'000));
  CHECK(config.scrape.page_size == 100);
  CHECK(config.scrape.concurrency == 4);
  CHECK(config.metrics.duration_buckets ==
        std::vector<double>{1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200});
  CHECK(config.metrics.duration_labels ==
        std::vector<std::string>{"organization", "target_region", "status"});
  REQUIRE(config.targets.size() == 1);
  CHECK(config.targets[0].organization == "team-a");
  CHECK(config.targets[0].repositories == std::vector<std::string>{"app1"});
}

TEST_CASE("a file with every key set round-trips") {
  const std::string path = std::string(SWR_TEST_DATA_DIR) + "/config/full.toml";
  const LoadResult result = load_config_file(path, fake_env());
  INFO((result.config ? std::string("no error") : result.config.error().to_string()));
  REQUIRE(result.config.has_value());
  CHECK(result.warnings.empty());
  const Config& config = *result.config;
  CHECK(config.path == path);
  CHECK(config.huaweicloud.region == "ap-southeast-3");
  CHECK(config.huaweicloud.swr_endpoint == "http://127.0.0.1:18080");  // trailing `/` stripped
  CHECK(config.huaweicloud.iam_endpoint == "https://iam.example.test:8443");
  CHECK(config.huaweicloud.project_id == "0123456789abcdef0123456789abcdef");
  // Relative paths are read relative to the config file, as Prometheus does.
  CHECK(config.huaweicloud.ca_file == std::string(SWR_TEST_DATA_DIR) + "/config/ca.pem");
  CHECK(config.auth.method == AuthMethod::kPassword);
  CHECK(config.auth.domain_name == "example-account");
  CHECK(config.auth.user_name == "exporter");
  CHECK(config.auth.password.value == "fixture-password");
  CHECK(config.auth.password.source == "auth.password");
  CHECK(config.auth.project_name == "ap-southeast-3_sub");
  CHECK(config.scrape.interval == milliseconds(150'000));
  CHECK(config.scrape.timeout == milliseconds(1'500));
  CHECK(config.scrape.page_size == 50);
  CHECK(config.scrape.concurrency == 8);
  CHECK(config.metrics.duration_buckets == std::vector<double>{0.5, 1, 2.5, 10});
  CHECK(config.metrics.duration_labels ==
        std::vector<std::string>{"status", "repository", "target_organization"});
  REQUIRE(config.targets.size() == 2);
  CHECK(config.targets[0].repositories == std::vector<std::string>{"app1", "team/app2"});
  CHECK(config.targets[1].organization == "team-b");
}

TEST_CASE("an unreadable config file is an error without a position") {
  const TempDir dir;
  const std::string missing = dir.path("missing.toml");
  const LoadResult result = load_config_file(missing, fake_env());
  REQUIRE_FALSE(result.config.has_value());
  CHECK(result.config.error().to_string() ==
        missing + ": cannot read the config file: No such file or directory");
}

TEST_CASE("a TOML syntax error keeps toml++'s position and description") {
  const LoadResult result = load("[huaweicloud]\nregion = \"cn-north-4\nx = 1\n");
  REQUIRE_FALSE(result.config.has_value());
  CHECK(result.config.error().file == "test.toml");
  CHECK(result.config.error().line == 2);
  CHECK(result.config.error().column > 0);
  CHECK_FALSE(result.config.error().message.empty());
}

TEST_CASE("ConfigError::to_string") {
  CHECK(ConfigError{"a.toml", 3, 7, "bad"}.to_string() == "a.toml:3:7: bad");
  CHECK(ConfigError{"a.toml", 0, 0, "bad"}.to_string() == "a.toml: bad");
}

TEST_CASE("process_environment reads the real environment") {
  REQUIRE(setenv("SWR_CONFIG_TEST_VARIABLE", "value", 1) == 0);
  const EnvLookup env = process_environment();
  CHECK(env("SWR_CONFIG_TEST_VARIABLE") == std::optional<std::string>("value"));
  unsetenv("SWR_CONFIG_TEST_VARIABLE");
  CHECK_FALSE(env("SWR_CONFIG_TEST_VARIABLE").has_value());
}

// --- unknown keys and wrong types
// -----------------------------------------------------------------

TEST_CASE("unknown keys are errors at the key, with a suggestion when one is close") {
  struct Case {
    std::string text;
    std::string error;
  };
  const Case cases[] = {
      {config_with("[scrape]\nintervall = \"30s\"\n"),
       "test.toml:7:1: unknown key scrape.intervall; did you mean `interval`?"},
      {config_with("[scrap]\ninterval = \"30s\"\n"),
       "test.toml:6:2: unknown key scrap; did you mean `scrape`?"},
      {with_cloud("[huaweicloud]\nRegion = \"cn-north-4\"\n"),
       "test.toml:2:1: unknown key huaweicloud.Region; did you mean `region`?"},
      {with_auth("[auth]\naccess_key = \"AK\"\nsecret_key = \"SK\"\nregion = \"x\"\n"),
       "test.toml:6:1: unknown key auth.region; `region` belongs in [huaweicloud]"},
      {with_targets("[[targets]]\norganisation = \"team-a\"\n"),
       "test.toml:7:1: unknown key targets[0].organisation; did you mean `organization`?"},
      {config_with("[scrape]\nspeed = 3\n"),
       "test.toml:7:1: unknown key scrape.speed; the keys of [scrape] are interval, timeout, "
       "page_size, concurrency, max_requests_per_second, full_resync_interval, recheck_interval"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.text);
    CHECK(load_error(c.text) == c.error);
  }
}

TEST_CASE("wrong types are errors at the value") {
  struct Case {
    std::string section;
    std::string error;
  };
  const Case cases[] = {
      {"[scrape]\npage_size = \"100\"\n",
       "test.toml:7:13: scrape.page_size must be an integer, not a string"},
      {"[scrape]\nconcurrency = 4.0\n",
       "test.toml:7:15: scrape.concurrency must be an integer, not a float"},
      {"[scrape]\ninterval = 60\n",
       "test.toml:7:12: scrape.interval must be a duration string like \"30s\", not an integer"},
      {"[metrics]\nduration_buckets = [1, \"5\"]\n",
       "test.toml:7:24: metrics.duration_buckets[1] must be a number of seconds, not a string"},
      {"[metrics]\nduration_labels = \"status\"\n",
       "test.toml:7:19: metrics.duration_labels must be an array of strings, not a string"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.section);
    CHECK(load_error(config_with(c.section)) == c.error);
  }
  CHECK(load_error(at_top("scrape = 5\n") + std::string(kTargets)) ==
        "test.toml:1:10: scrape must be a table ([scrape]), not an integer");
  CHECK(load_error(at_top("targets = \"team-a\"\n")) ==
        "test.toml:1:11: targets must be an array of tables: write [[targets]] (two brackets) "
        "for each organization, not a string");
}

// --- [huaweicloud] ----------------------------------------------------------------------------

TEST_CASE("endpoints default from the region") {
  struct Case {
    std::string region;
    std::string swr;
    std::string iam;
  };
  const Case cases[] = {
      {"cn-north-4", "https://swr-api.cn-north-4.myhuaweicloud.com",
       "https://iam.cn-north-4.myhuaweicloud.com"},
      {"ap-southeast-1", "https://swr-api.ap-southeast-1.myhuaweicloud.com",
       "https://iam.ap-southeast-1.myhuaweicloud.com"},
      // Huawei Cloud Europe has its own domain, for SWR and IAM alike.
      {"eu-west-101", "https://swr-api.eu-west-101.myhuaweicloud.eu",
       "https://iam.eu-west-101.myhuaweicloud.eu"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.region);
    const Config config =
        load_ok(with_cloud("[huaweicloud]\nregion = \"" + c.region + "\"\nswr_endpoint = \"\"\n"));
    CHECK(config.huaweicloud.swr_endpoint == c.swr);
    CHECK(config.huaweicloud.iam_endpoint == c.iam);
  }
}

TEST_CASE("explicit endpoints") {
  const auto endpoint = [](const std::string& url) {
    return load(
        with_cloud("[huaweicloud]\nregion = \"cn-north-4\"\nswr_endpoint = \"" + url + "\"\n"));
  };
  SUBCASE("good ones are kept without a trailing /") {
    const std::pair<std::string, std::string> cases[] = {
        {"https://swr.example.com", "https://swr.example.com"},
        {"https://swr.example.com/", "https://swr.example.com"},
        {"https://swr.example.com:8443", "https://swr.example.com:8443"},
        {"http://localhost:8080", "http://localhost:8080"},
        {"http://127.0.0.2:9000/", "http://127.0.0.2:9000"},
        {"http://[::1]:8080", "http://[::1]:8080"},
    };
    for (const auto& entry : cases) {
      const auto& url = entry.first;
      const auto& resolved = entry.second;
      CAPTURE(url);
      const LoadResult result = endpoint(url);
      REQUIRE(result.config.has_value());
      CHECK(result.config->huaweicloud.swr_endpoint == resolved);
    }
  }
  SUBCASE("bad ones are errors at the value") {
    const std::pair<std::string, std::string> cases[] = {
        {"swr.example.com", "must be an https:// URL"},
        {"ftp://swr.example.com", "must be an https:// URL"},
        {"http://swr.example.com", "use https://"},
        {"http://127.0.0.1.example.com", "use https://"},
        {"http://localhost.example.com", "use https://"},
        {"https://swr.example.com/v2", "without a path, query or fragment"},
        {"https://swr.example.com?x=1", "without a path, query or fragment"},
        {"https://", "has no host"},
        {"https://user@swr.example.com", "must not hold user information"},
        {"https://swr.example.com:0", "invalid port"},
        {"https://swr.example.com:99999", "invalid port"},
    };
    for (const auto& entry : cases) {
      const auto& url = entry.first;
      const auto& fragment = entry.second;
      CAPTURE(url);
      const LoadResult result = endpoint(url);
      REQUIRE_FALSE(result.config.has_value());
      CHECK(result.config.error().line == 3);
      CHECK(result.config.error().column == 16);
      CHECK(result.config.error().message.find(fragment) != std::string::npos);
    }
  }
}

TEST_CASE("the region is required and must look like a region id") {
  CHECK(load_error(with_cloud("")) ==
        "test.toml: huaweicloud.region is required: add a [huaweicloud] table with region = "
        "\"cn-north-4\" (or your region)");
  CHECK(load_error(with_cloud("[huaweicloud]\nproject_id = \"p\"\n")) ==
        "test.toml:1:1: huaweicloud.region is required: set it to a region id like "
        "\"cn-north-4\"");
  for (const std::string bad : {"", "CN-North-4", "cn_north_4", "-cn", "cn-north-4 "}) {
    CAPTURE(bad);
    CHECK(
        load_error(with_cloud("[huaweicloud]\nregion = \"" + bad + "\"\n"))
            .starts_with("test.toml:2:10: huaweicloud.region \"" + bad + "\" is not a region id"));
  }
}

TEST_CASE("ca_file must be readable when set") {
  const TempDir dir;
  const std::string ca = dir.write("ca.pem", "bundle", 0644);
  const Config config =
      load_ok(with_cloud("[huaweicloud]\nregion = \"cn-north-4\"\nca_file = \"" + ca + "\"\n"));
  CHECK(config.huaweicloud.ca_file == ca);
  const std::string missing = dir.path("nope.pem");
  CHECK(load_error(with_cloud("[huaweicloud]\nregion = \"cn-north-4\"\nca_file = \"" + missing +
                              "\"\n")) == "test.toml:3:11: cannot read huaweicloud.ca_file " +
                                              missing + ": No such file or directory");
}

// --- [auth] -----------------------------------------------------------------------------------

TEST_CASE("aksk secrets come inline, from files or from the environment") {
  const TempDir dir;
  SUBCASE("files, less one trailing newline") {
    const std::string ak = dir.write("ak", "AK-FROM-FILE\n");
    const std::string sk = dir.write("sk", "SK-FROM-FILE\r\n");
    const Config config = load_ok(
        with_auth("[auth]\naccess_key_file = \"" + ak + "\"\nsecret_key_file = \"" + sk + "\"\n"));
    CHECK(config.auth.access_key.value == "AK-FROM-FILE");
    CHECK(config.auth.access_key.source == "auth.access_key_file " + ak);
    CHECK(config.auth.secret_key.value == "SK-FROM-FILE");
    CHECK(config.auth.secret_key.source == "auth.secret_key_file " + sk);
  }
  SUBCASE("only one newline is stripped") {
    const std::string sk = dir.write("sk", "SK\n\n");
    const Config config =
        load_ok(with_auth("[auth]\naccess_key = \"AK\"\nsecret_key_file = \"" + sk + "\"\n"));
    CHECK(config.auth.secret_key.value == "SK\n");
  }
  SUBCASE("the environment when the file has neither") {
    const Config config =
        load_ok(with_auth(""),
                fake_env({{"HUAWEICLOUD_SDK_AK", "ENV-AK"}, {"HUAWEICLOUD_SDK_SK", "ENV-SK"}}));
    CHECK(config.auth.access_key.value == "ENV-AK");
    CHECK(config.auth.access_key.source == "env HUAWEICLOUD_SDK_AK");
    CHECK(config.auth.secret_key.value == "ENV-SK");
    CHECK(config.auth.secret_key.source == "env HUAWEICLOUD_SDK_SK");
  }
  SUBCASE("the file wins over the environment") {
    const Config config =
        load_ok(config_with(""),
                fake_env({{"HUAWEICLOUD_SDK_AK", "ENV-AK"}, {"HUAWEICLOUD_SDK_SK", "ENV-SK"}}));
    CHECK(config.auth.access_key.source == "auth.access_key");
  }
}

TEST_CASE("aksk mistakes") {
  const TempDir dir;
  const std::string sk = dir.write("sk", "SK\n");
  CHECK(load_error(with_auth("[auth]\nsecret_key = \"SK\"\nsecret_key_file = \"" + sk + "\"\n")) ==
        "test.toml:5:19: auth.secret_key and auth.secret_key_file are both set: keep one");
  CHECK(load_error(with_auth("[auth]\naccess_key = \"AK\"\n")) ==
        "test.toml:3:1: auth.secret_key is missing: auth.access_key needs a secret key too "
        "(auth.secret_key or auth.secret_key_file)");
  CHECK(load_error(with_auth("[auth]\nsecret_key_file = \"" + sk + "\"\n"))
            .starts_with("test.toml:3:1: auth.access_key is missing"));
  CHECK(load_error(with_auth(""), fake_env({{"HUAWEICLOUD_SDK_AK", "ENV-AK"}})) ==
        "test.toml: no access key for method = \"aksk\": set auth.access_key and "
        "auth.secret_key, or auth.access_key_file and auth.secret_key_file, or the environment "
        "variables HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK (HUAWEICLOUD_SDK_SK is not set)");
  CHECK(load_error(with_auth("[auth]\naccess_key = \"\"\nsecret_key = \"SK\"\n")) ==
        "test.toml:4:14: auth.access_key is empty: set it, or use auth.access_key_file");
  CHECK(
      load_error(
          with_auth("[auth]\naccess_key = \"AK\"\nsecret_key = \"SK\"\npassword = \"p\"\n")) ==
      "test.toml:6:1: auth.password is only used with method = \"password\" (method is \"aksk\")");
  CHECK(
      load_error(with_auth("[auth]\nmethod = \"AKSK\"\n")) ==
      "test.toml:4:10: auth.method \"AKSK\" is not one of aksk, password, token, metadata; did you "
      "mean "
      "`aksk`?");
}

TEST_CASE("secret files that cannot be used") {
  const TempDir dir;
  const std::string empty = dir.write("empty", "\n");
  const std::string missing = dir.path("missing");
  CHECK(
      load_error(with_auth("[auth]\naccess_key = \"AK\"\nsecret_key_file = \"" + empty + "\"\n")) ==
      "test.toml:5:19: auth.secret_key_file " + empty + " is empty: put the secret in it");
  CHECK(load_error(with_auth("[auth]\naccess_key = \"AK\"\nsecret_key_file = \"" + missing +
                             "\"\n")) == "test.toml:5:19: cannot read auth.secret_key_file " +
                                             missing + ": No such file or directory");
  CHECK(load_error(
            with_auth("[auth]\naccess_key = \"AK\"\nsecret_key_file = \"" + dir.path("") + "\"\n"))
            .ends_with(": Is a directory"));
}

TEST_CASE("secret files readable by group or others give a warning") {
  const TempDir dir;
  const std::string loose = dir.write("sk-loose", "SK\n", 0644);
  const std::string tight = dir.write("sk-tight", "SK\n", 0600);
  const std::string ak = dir.write("ak", "AK\n", 0600);
  const auto warnings = [&](const std::string& sk) {
    const LoadResult result = load(
        with_auth("[auth]\naccess_key_file = \"" + ak + "\"\nsecret_key_file = \"" + sk + "\"\n"));
    REQUIRE(result.config.has_value());
    return result.warnings;
  };
  CHECK(warnings(loose) ==
        std::vector<std::string>{"auth.secret_key_file " + loose +
                                 " is readable by group or others (mode 0644); chmod 600 it"});
  CHECK(warnings(tight).empty());
}

TEST_CASE("method = \"password\"") {
  const TempDir dir;
  const std::string base =
      "[auth]\nmethod = \"password\"\ndomain_name = \"acct\"\nuser_name = \"u\"\n";
  SUBCASE("inline, project_name defaults to the region") {
    const Config config = load_ok(with_auth(base + "password = \"pw\"\n"));
    CHECK(config.auth.method == AuthMethod::kPassword);
    CHECK(config.auth.domain_name == "acct");
    CHECK(config.auth.user_name == "u");
    CHECK(config.auth.password.value == "pw");
    CHECK(config.auth.project_name == "cn-north-4");
  }
  SUBCASE("from a file") {
    const std::string file = dir.write("pw", "pw-from-file\n");
    const Config config = load_ok(with_auth(base + "password_file = \"" + file + "\"\n"));
    CHECK(config.auth.password.value == "pw-from-file");
    CHECK(config.auth.password.source == "auth.password_file " + file);
  }
  SUBCASE("from the environment") {
    const Config config =
        load_ok(with_auth(base), fake_env({{"SWR_EXPORTER_PASSWORD", "pw-from-env"}}));
    CHECK(config.auth.password.value == "pw-from-env");
    CHECK(config.auth.password.source == "env SWR_EXPORTER_PASSWORD");
  }
  SUBCASE("missing pieces") {
    CHECK(load_error(with_auth(base)) ==
          "test.toml:3:1: no password for method = \"password\": set auth.password or "
          "auth.password_file, or the environment variable SWR_EXPORTER_PASSWORD");
    CHECK(load_error(
              with_auth("[auth]\nmethod = \"password\"\nuser_name = \"u\"\npassword = \"pw\"\n")) ==
          "test.toml:3:1: auth.domain_name is required with method = \"password\": set it to the "
          "account (domain) name");
    CHECK(load_error(with_auth(base + "password = \"pw\"\naccess_key = \"AK\"\n")) ==
          "test.toml:8:1: auth.access_key is only used with method = \"aksk\" (method is "
          "\"password\")");
  }
}

TEST_CASE("method = \"token\"") {
  const TempDir dir;
  const std::string token = dir.write("token", "a-token", 0604);
  const LoadResult result =
      load(with_auth("[auth]\nmethod = \"token\"\ntoken_file = \"" + token + "\"\n"));
  REQUIRE(result.config.has_value());
  CHECK(result.config->auth.method == AuthMethod::kToken);
  CHECK(result.config->auth.token_file == token);
  CHECK(result.warnings == std::vector<std::string>{"auth.token_file " + token +
                                                    " is readable by group or others (mode "
                                                    "0604); chmod 600 it"});
  // As Kubernetes mounts secrets: readable by the process's own group only. No warning.
  const std::string mounted = dir.write("mounted-token", "a-token", 0440);
  CHECK(load(with_auth("[auth]\nmethod = \"token\"\ntoken_file = \"" + mounted + "\"\n"))
            .warnings.empty());
  CHECK(load_error(with_auth("[auth]\nmethod = \"token\"\n"))
            .starts_with("test.toml:3:1: auth.token_file is required with method = \"token\""));
  CHECK(load_error(with_auth("[auth]\nmethod = \"token\"\ntoken_file = \"" + dir.path("gone") +
                             "\"\n")) == "test.toml:5:14: cannot read auth.token_file " +
                                             dir.path("gone") + ": No such file or directory");
}

TEST_CASE("secret values never appear in errors or warnings") {
  const std::string secret = "S3cr3t-VALUE-never-shown";
  const TempDir dir;
  const std::string file = dir.write("sk", secret + "\n", 0644);
  const std::string inline_auth = "[auth]\naccess_key = \"AK\"\nsecret_key = \"" + secret + "\"\n";
  const std::string file_auth = "[auth]\naccess_key = \"AK\"\nsecret_key_file = \"" + file + "\"\n";
  const std::vector<std::pair<std::string, EnvLookup>> cases = {
      {config_with("[scrape]\npage_size = 0\n", kCloud, inline_auth), fake_env()},
      {config_with("[scrape]\npage_size = 0\n", kCloud, file_auth), fake_env()},
      {config_with("[scrape]\npage_size = 0\n", kCloud, ""),
       fake_env({{"HUAWEICLOUD_SDK_AK", "AK"}, {"HUAWEICLOUD_SDK_SK", secret}})},
      {with_auth("[auth]\nsecret_key = \"" + secret + "\"\n"), fake_env()},
      {with_auth("[auth]\nmethod = \"token\"\nsecret_key = \"" + secret + "\"\n"), fake_env()},
      {with_auth("[auth]\nmethod = \"password\"\ndomain_name = \"d\"\nuser_name = \"u\"\n"
                 "password = \"" +
                 secret + "\"\npassword_file = \"" + file + "\"\n"),
       fake_env()},
      {with_auth("[auth]\naccess_key = \"AK\"\nsecret_key = \"" + secret + "\"\nsecret_ky = 1\n"),
       fake_env()},
  };
  for (const auto& entry : cases) {
    const auto& text = entry.first;
    const auto& env = entry.second;
    CAPTURE(text);
    const LoadResult result = load(text, env);
    REQUIRE_FALSE(result.config.has_value());
    CHECK(result.config.error().to_string().find(secret) == std::string::npos);
    for (const std::string& warning : result.warnings) {
      CHECK(warning.find(secret) == std::string::npos);
    }
  }
}

// --- [scrape] ---------------------------------------------------------------------------------

TEST_CASE("scrape limits") {
  struct Case {
    std::string section;
    std::string error;  // "" when the value is fine
  };
  const Case cases[] = {
      {"interval = \"100ms\"", ""},
      {"interval = \"99ms\"", "scrape.interval \"99ms\" is too short: use at least \"100ms\""},
      {"timeout = \"0s\"", "scrape.timeout \"0s\" is not a duration"},
      {"timeout = \"10\"", "scrape.timeout \"10\" is not a duration"},
      {"page_size = 1", ""},
      {"page_size = 1000", ""},
      {"page_size = 0", "scrape.page_size = 0 is out of range: use 1 to 1000"},
      {"page_size = 1001", "scrape.page_size = 1001 is out of range: use 1 to 1000"},
      {"concurrency = 64", ""},
      {"concurrency = 0", "scrape.concurrency = 0 is out of range: use 1 to 64"},
      {"concurrency = 65", "scrape.concurrency = 65 is out of range: use 1 to 64"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.section);
    const LoadResult result = load(config_with("[scrape]\n" + c.section + "\n"));
    if (c.error.empty()) {
      CHECK(result.config.has_value());
    } else {
      REQUIRE_FALSE(result.config.has_value());
      CHECK(result.config.error().line == 7);
      CHECK(result.config.error().message.starts_with(c.error));
    }
  }
}

TEST_CASE("parse_duration") {
  SUBCASE("good") {
    const std::pair<std::string_view, long long> cases[] = {
        {"500ms", 500},    {"1ms", 1},         {"30s", 30'000},          {"5m", 300'000},
        {"1h", 3'600'000}, {"1m30s", 90'000},  {"1h2m3s4ms", 3'723'004}, {"90s", 90'000},
        {"0h1s", 1'000},   {"1s500ms", 1'500},
    };
    for (const auto& entry : cases) {
      const auto& text = entry.first;
      const auto& ms = entry.second;
      CAPTURE(text);
      CHECK(parse_duration(text) == milliseconds(ms));
    }
  }
  SUBCASE("bad") {
    for (const std::string_view text : {"",
                                        "60",
                                        "-5s",
                                        "+5s",
                                        "0s",
                                        "0ms",
                                        "0h0m",
                                        "1.5s",
                                        "5 s",
                                        " 5s",
                                        "5s ",
                                        "5S",
                                        "1d",
                                        "30s1m",
                                        "1s1s",
                                        "ms",
                                        "s",
                                        "1m30",
                                        "99999999999999999999h",
                                        "9999999999999h"}) {
      CAPTURE(text);
      CHECK_FALSE(parse_duration(text).has_value());
    }
  }
}

// --- [metrics] --------------------------------------------------------------------------------

TEST_CASE("duration buckets") {
  const auto buckets = [](const std::string& list) {
    return load(config_with("[metrics]\nduration_buckets = " + list + "\n"));
  };
  const LoadResult good = buckets("[0.25, 1, 2.5, 10]");
  REQUIRE(good.config.has_value());
  CHECK(good.config->metrics.duration_buckets == std::vector<double>{0.25, 1, 2.5, 10});

  const std::pair<std::string, std::string> bad[] = {
      {"[]", "test.toml:7:20: metrics.duration_buckets is empty"},
      {"[0, 1]", "test.toml:7:21: metrics.duration_buckets[0] = 0 must be greater than 0"},
      {"[-1.5]", "test.toml:7:21: metrics.duration_buckets[0] = -1.5 must be greater than 0"},
      {"[1, inf]", "test.toml:7:24: metrics.duration_buckets[1] must be a finite number"},
      {"[nan]", "test.toml:7:21: metrics.duration_buckets[0] must be a finite number"},
      {"[1, 5, 5]",
       "test.toml:7:27: metrics.duration_buckets[2] = 5 is not greater than the bucket before it "
       "(5): buckets must be strictly increasing"},
      {"[10, 2.5]", "test.toml:7:25: metrics.duration_buckets[1] = 2.5 is not greater"},
  };
  for (const auto& entry : bad) {
    const auto& list = entry.first;
    const auto& error = entry.second;
    CAPTURE(list);
    CHECK(
        load_error(config_with("[metrics]\nduration_buckets = " + list + "\n")).starts_with(error));
  }
}

TEST_CASE("duration labels") {
  const Config config =
      load_ok(config_with("[metrics]\nduration_labels = [\"status\", \"repository\"]\n"));
  CHECK(config.metrics.duration_labels == std::vector<std::string>{"status", "repository"});
  CHECK(load_error(config_with("[metrics]\nduration_labels = [\"status\", \"status\"]\n")) ==
        "test.toml:7:30: metrics.duration_labels[1] \"status\" is listed twice: keep one");
  CHECK(load_error(config_with("[metrics]\nduration_labels = [\"organisation\"]\n")) ==
        "test.toml:7:20: metrics.duration_labels[0] \"organisation\" is not a label: use "
        "organization, repository, target_region, target_organization, status; did you mean "
        "`organization`?");
}

// --- [[targets]] ------------------------------------------------------------------------------

TEST_CASE("targets") {
  SUBCASE("several organizations, repositories with /") {
    const Config config =
        load_ok(with_targets("[[targets]]\norganization = \"a\"\nrepositories = [\"x\", "
                             "\"team/app2\"]\n[[targets]]\norganization = \"b\"\n"
                             "repositories = [\"x\"]\n"));
    REQUIRE(config.targets.size() == 2);
    CHECK(config.targets[0].repositories == std::vector<std::string>{"x", "team/app2"});
    CHECK(config.targets[1].organization == "b");
  }
  SUBCASE("mistakes") {
    const std::pair<std::string, std::string> cases[] = {
        {"[[targets]]\nrepositories = [\"x\"]\n",
         "test.toml:6:1: targets[0].organization is required"},
        {"[[targets]]\norganization = \"\"\nrepositories = [\"x\"]\n",
         "test.toml:7:16: targets[0].organization is empty"},
        {"[[targets]]\norganization = \"a/b\"\nrepositories = [\"x\"]\n",
         "test.toml:7:16: targets[0].organization \"a/b\" must not contain `/`"},
        {"[[targets]]\norganization = \"a\"\nrepositories = []\n",
         "test.toml:8:16: targets[0].repositories is empty"},
        {"[[targets]]\norganization = \"a\"\nrepositories = [\"\"]\n",
         "test.toml:8:17: targets[0].repositories[0] is empty"},
        {"[[targets]]\norganization = \"a\"\nrepositories = [\"x\", \"/app\"]\n",
         "test.toml:8:22: targets[0].repositories[1] \"/app\" has an empty path segment"},
        {"[[targets]]\norganization = \"a\"\nrepositories = [\"app/\"]\n",
         "test.toml:8:17: targets[0].repositories[0] \"app/\" has an empty path segment"},
        {"[[targets]]\norganization = \"a\"\nrepositories = [\"a//b\"]\n",
         "test.toml:8:17: targets[0].repositories[0] \"a//b\" has an empty path segment"},
        {"[[targets]]\norganization = \"a\"\nrepositories = [\"a\\tb\"]\n",
         "test.toml:8:17: targets[0].repositories[0] must not contain control characters"},
        {"[[targets]]\norganization = \"a\"\nrepositories = [\"app1\", \"app1\"]\n",
         "test.toml:8:25: targets[0].repositories[1] \"app1\" is listed twice: keep one"},
        {"[[targets]]\norganization = \"a\"\nrepositories = [\"x\"]\n"
         "[[targets]]\norganization = \"a\"\nrepositories = [\"y\"]\n",
         "test.toml:10:16: targets[1].organization \"a\" is already listed in targets[0] (line 7): "
         "merge the repositories into one [[targets]]"},
    };
    for (const auto& entry : cases) {
      const auto& targets = entry.first;
      const auto& error = entry.second;
      CAPTURE(targets);
      CHECK(load_error(with_targets(targets)).starts_with(error));
    }
    CHECK(load_error(at_top("targets = []\n")).starts_with("test.toml:1:11: targets is empty"));
  }
  SUBCASE("no targets: every organization; no repositories: every repository") {
    CHECK(load_ok(with_targets("")).targets.empty());
    const Config config = load_ok(with_targets("[[targets]]\norganization = \"a\"\n"));
    REQUIRE(config.targets.size() == 1);
    CHECK(config.targets[0].repositories.empty());
  }
}

TEST_CASE("discovery and sharding") {
  const Config defaults = load_ok(with_targets(""));
  CHECK(defaults.discovery.interval == std::chrono::minutes(10));
  CHECK_FALSE(defaults.discovery.only_with_sync_rules);
  CHECK(defaults.sharding.shard == 0);
  CHECK(defaults.sharding.total_shards == 1);
  const Config set = load_ok(
      at_top("[discovery]\ninclude = \"^team-a/\"\nexclude = \"-test$\"\ninterval = \"5m\"\n"
             "only_with_sync_rules = true\n[sharding]\nshard = 2\ntotal_shards = 3\n"));
  CHECK(set.discovery.include == "^team-a/");
  CHECK(set.discovery.exclude == "-test$");
  CHECK(set.discovery.interval == std::chrono::minutes(5));
  CHECK(set.discovery.only_with_sync_rules);
  CHECK(set.sharding.shard == 2);
  CHECK(set.sharding.total_shards == 3);
  CHECK(load_error(at_top("[discovery]\ninclude = \"(unclosed\"\n"))
            .starts_with("test.toml:2:11: discovery.include \"(unclosed\" is not a valid regular "
                         "expression"));
  CHECK(load_error(at_top("[discovery]\nonly_with_sync_rules = \"yes\"\n")) ==
        "test.toml:2:24: discovery.only_with_sync_rules must be true or false, not a string");
  CHECK(load_error(at_top("[sharding]\nshard = 3\ntotal_shards = 3\n")) ==
        "test.toml:2:9: sharding.shard = 3 must be below sharding.total_shards = 3: shards count "
        "from 0");
  CHECK(load_error(at_top("[sharding]\ntotal_shards = 0\n"))
            .starts_with("test.toml:2:16: sharding.total_shards = 0 is out of range"));
  CHECK(load_error(at_top("[discovery]\nintervall = \"5m\"\n")).find("did you mean `interval`") !=
        std::string::npos);
}

TEST_CASE("method = \"metadata\"") {
  const Config config = load_ok(with_auth("[auth]\nmethod = \"metadata\"\n"));
  CHECK(config.auth.method == AuthMethod::kMetadata);
  CHECK(config.auth.metadata_endpoint == "http://169.254.169.254");
  CHECK(load_ok(with_auth("[auth]\nmethod = \"metadata\"\nmetadata_endpoint = "
                          "\"http://127.0.0.1:8080/\"\n"))
            .auth.metadata_endpoint == "http://127.0.0.1:8080");
  CHECK(load_error(with_auth("[auth]\nmethod = \"metadata\"\naccess_key = \"a\"\n")) ==
        "test.toml:5:1: auth.access_key is only used with method = \"aksk\" (method is "
        "\"metadata\")");
  CHECK(load_error(with_auth("[auth]\nmethod = \"metadat\"\n")).find("did you mean `metadata`") !=
        std::string::npos);
}

TEST_CASE("scrape.max_requests_per_second and scrape.full_resync_interval") {
  const std::string head =
      "[huaweicloud]\nregion = \"cn-north-4\"\n[auth]\naccess_key = \"AK\"\nsecret_key = \"SK\"\n"
      "[[targets]]\norganization = \"o\"\nrepositories = [\"r\"]\n[scrape]\n";
  const auto env = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
  auto defaults = swr::config::load_config_text(head, "t.toml", env);
  REQUIRE(defaults.config);
  CHECK(defaults.config->scrape.max_requests_per_second == 10);
  CHECK(defaults.config->scrape.full_resync_interval == std::chrono::hours(1));
  auto set = swr::config::load_config_text(
      head + "max_requests_per_second = 2.5\nfull_resync_interval = \"30m\"\n", "t.toml", env);
  REQUIRE(set.config);
  CHECK(set.config->scrape.max_requests_per_second == 2.5);
  CHECK(set.config->scrape.full_resync_interval == std::chrono::minutes(30));
  auto zero = swr::config::load_config_text(head + "max_requests_per_second = 0\n", "t.toml", env);
  REQUIRE_FALSE(zero.config);
  CHECK(zero.config.error().to_string() ==
        "t.toml:10:27: scrape.max_requests_per_second = 0 is out of range: use 0.01 to 10000");
  auto text =
      swr::config::load_config_text(head + "max_requests_per_second = \"fast\"\n", "t.toml", env);
  REQUIRE_FALSE(text.config);
  CHECK(text.config.error().message ==
        "scrape.max_requests_per_second must be a number, not a string");
}

TEST_CASE("scrape.recheck_interval: default 15m, 0s for every cycle, never under the interval") {
  const std::string head =
      "[huaweicloud]\nregion = \"cn-north-4\"\n[auth]\naccess_key = \"AK\"\nsecret_key = \"SK\"\n"
      "[[targets]]\norganization = \"o\"\nrepositories = [\"r\"]\n[scrape]\n";
  const auto env = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
  auto defaults = swr::config::load_config_text(head, "t.toml", env);
  REQUIRE(defaults.config);
  CHECK(defaults.config->scrape.recheck_interval == std::chrono::minutes(15));
  auto off = swr::config::load_config_text(head + "recheck_interval = \"0s\"\n", "t.toml", env);
  REQUIRE(off.config);
  CHECK(off.config->scrape.recheck_interval.count() == 0);
  auto set = swr::config::load_config_text(head + "interval = \"2m\"\nrecheck_interval = \"2h\"\n",
                                           "t.toml", env);
  REQUIRE(set.config);
  CHECK(set.config->scrape.recheck_interval == std::chrono::hours(2));
  auto equal = swr::config::load_config_text(
      head + "interval = \"2m\"\nrecheck_interval = \"120s\"\n", "t.toml", env);
  CHECK(equal.config);
  auto shorter = swr::config::load_config_text(
      head + "interval = \"2m\"\nrecheck_interval = \"1m\"\n", "t.toml", env);
  REQUIRE_FALSE(shorter.config);
  CHECK(shorter.config.error().to_string() ==
        "t.toml:11:20: scrape.recheck_interval \"1m\" is shorter than scrape.interval: use at "
        "least the interval, or \"0s\" to read every repository every cycle");
  auto bad = swr::config::load_config_text(head + "recheck_interval = \"soon\"\n", "t.toml", env);
  REQUIRE_FALSE(bad.config);
  CHECK(bad.config.error().to_string().starts_with(
      "t.toml:10:20: scrape.recheck_interval \"soon\" is not a duration"));
  auto number = swr::config::load_config_text(head + "recheck_interval = 900\n", "t.toml", env);
  REQUIRE_FALSE(number.config);
  CHECK(number.config.error().message ==
        "scrape.recheck_interval must be a duration string like \"30s\", not an integer");
}

// --- [metrics] enabled and disabled ------------------------------------------------------------

namespace {

std::vector<std::string> disabled_by(const std::string& metrics_toml) {
  return swr::config::load_config_text(
             std::string(
                 "[huaweicloud]\nregion = \"cn-north-4\"\n[auth]\naccess_key = \"AK\"\nsecret_key "
                 "= \"SK\"\n[metrics]\n") +
                 metrics_toml,
             "t.toml", [](const std::string&) -> std::optional<std::string> { return {}; })
      .config.value()
      .metrics.disabled_families;
}

std::string metrics_error(const std::string& metrics_toml) {
  const auto result = swr::config::load_config_text(
      std::string("[huaweicloud]\nregion = \"cn-north-4\"\n[auth]\naccess_key = \"AK\"\nsecret_key "
                  "= \"SK\"\n[metrics]\n") +
          metrics_toml,
      "t.toml", [](const std::string&) -> std::optional<std::string> { return {}; });
  REQUIRE_FALSE(result.config.has_value());
  return result.config.error().to_string();
}

}  // namespace

TEST_CASE("metrics.disabled: names and globs; the health gauges stay") {
  CHECK(disabled_by("").empty());
  CHECK(disabled_by("disabled = []\n").empty());
  CHECK(disabled_by("disabled = [\"swr_sync_latest_job_info\"]\n") ==
        std::vector<std::string>{"swr_sync_latest_job_info"});
  // In the catalogue's order, whatever the order written.
  CHECK(disabled_by("disabled = [\"process_open_fds\", \"swr_sync_jobs\"]\n") ==
        std::vector<std::string>{"swr_sync_jobs", "process_open_fds"});
  CHECK(disabled_by("disabled = [\"process_*\"]\n") ==
        std::vector<std::string>{"process_cpu_seconds_total", "process_open_fds", "process_max_fds",
                                 "process_virtual_memory_bytes", "process_resident_memory_bytes",
                                 "process_start_time_seconds"});
  // A glob that also matches always-on families takes only the others.
  const auto exporter = disabled_by("disabled = [\"swr_exporter_*_seconds\"]\n");
  CHECK(exporter ==
        std::vector<std::string>{"swr_exporter_cycle_duration_seconds",
                                 "swr_exporter_oldest_repository_read_age_seconds",
                                 "swr_exporter_api_request_duration_seconds",
                                 "swr_exporter_token_expiry_timestamp_seconds",
                                 "swr_exporter_config_last_reload_success_timestamp_seconds"});
  const auto everything = disabled_by("disabled = [\"*\"]\n");
  CHECK(std::find(everything.begin(), everything.end(), "swr_up") == everything.end());
  CHECK(everything.size() + 6 == kMetricFamilies.size());
}

TEST_CASE("metrics.enabled: everything else off but the health gauges") {
  const auto off = disabled_by("enabled = [\"swr_sync_*\", \"swr_exporter_repository_up\"]\n");
  for (const MetricFamilySpec& family : kMetricFamilies) {
    CAPTURE(family.name);
    const bool listed = family.name.starts_with("swr_sync_") ||
                        family.name == "swr_exporter_repository_up" || family.always_on;
    CHECK((std::find(off.begin(), off.end(), family.name) == off.end()) == listed);
  }
  // Naming an always-on family in enabled is no error: it is served anyway.
  CHECK(disabled_by("enabled = [\"swr_up\", \"swr_sync_jobs\"]\n").size() ==
        kMetricFamilies.size() - 7);
}

TEST_CASE("metrics.enabled and metrics.disabled: mistakes, at the value") {
  const std::pair<std::string, std::string> cases[] = {
      {"enabled = [\"swr_sync_jobs\"]\ndisabled = [\"process_*\"]\n",
       "t.toml:8:12: metrics.enabled and metrics.disabled are both set: keep one (enabled serves "
       "only the families it lists, disabled serves all but those)"},
      {"disabled = [\"swr_sync_job\"]\n",
       "t.toml:7:13: metrics.disabled[0] \"swr_sync_job\" is not a metric family; did you mean "
       "`swr_sync_jobs`?"},
      {"enabled = [\"swr_sync_jobs\", \"swr_sync_latest_jobs_info\"]\n",
       "t.toml:7:29: metrics.enabled[1] \"swr_sync_latest_jobs_info\" is not a metric family; did "
       "you mean `swr_sync_latest_job_info`?"},
      {"disabled = [\"node_cpu_seconds_total\"]\n",
       "t.toml:7:13: metrics.disabled[0] \"node_cpu_seconds_total\" is not a metric family: "
       "docs/metrics.md lists them, and `*` matches any run of characters"},
      {"disabled = [\"swr_sync_job_duration_seconds_bucket\"]\n",
       "t.toml:7:13: metrics.disabled[0] \"swr_sync_job_duration_seconds_bucket\" is a sample of "
       "the histogram swr_sync_job_duration_seconds; name the family: did you mean "
       "`swr_sync_job_duration_seconds`?"},
      {"disabled = [\"go_*\"]\n",
       "t.toml:7:13: metrics.disabled[0] \"go_*\" matches no metric family: the families start "
       "with swr_sync_, swr_exporter_, swr_up or process_ (docs/metrics.md lists them)"},
      {"enabled = [\"swr_sync_*\", \"swr_synk_*\"]\n",
       "t.toml:7:26: metrics.enabled[1] \"swr_synk_*\" matches no metric family"},
      {"disabled = [\"swr_up\"]\n",
       "t.toml:7:13: metrics.disabled[0] \"swr_up\" is always served: swr_up, "
       "swr_exporter_last_cycle_timestamp_seconds, swr_exporter_last_success_timestamp_seconds, "
       "swr_exporter_initial_pass_complete, swr_exporter_credentials_refused and "
       "swr_exporter_poll_interval_seconds tell a broken exporter from a quiet one, and cannot "
       "be turned off"},
      // Regression: the message listed four of the six always-on families, not the one named.
      {"disabled = [\"swr_exporter_credentials_refused\"]\n",
       "t.toml:7:13: metrics.disabled[0] \"swr_exporter_credentials_refused\" is always served: "
       "swr_up, swr_exporter_last_cycle_timestamp_seconds, "
       "swr_exporter_last_success_timestamp_seconds, swr_exporter_initial_pass_complete, "
       "swr_exporter_credentials_refused and swr_exporter_poll_interval_seconds tell"},
      {"disabled = [\"swr_exporter_last_*\"]\n",
       "t.toml:7:13: metrics.disabled[0] \"swr_exporter_last_*\" matches only families that are "
       "always served (swr_up, swr_exporter_last_cycle_timestamp_seconds, "
       "swr_exporter_last_success_timestamp_seconds, swr_exporter_initial_pass_complete, "
       "swr_exporter_credentials_refused, swr_exporter_poll_interval_seconds)"},
      {"disabled = [\"process_*\", \"process_*\"]\n",
       "t.toml:7:26: metrics.disabled[1] \"process_*\" is listed twice: keep one"},
      {"enabled = []\n",
       "t.toml:7:11: metrics.enabled is empty: list the families to serve, or leave it out"},
      {"enabled = \"swr_sync_*\"\n",
       "t.toml:7:11: metrics.enabled must be an array of metric family names, not a string"},
      {"disabled = [1]\n",
       "t.toml:7:13: metrics.disabled[0] must be a metric family name, not an integer"},
      {"disable = [\"process_*\"]\n",
       "t.toml:7:1: unknown key metrics.disable; did you mean `disabled`?"},
  };
  for (const auto& entry : cases) {
    const std::string& toml = entry.first;  // clang 14: CAPTURE cannot name a structured binding
    CAPTURE(toml);
    CHECK(metrics_error(toml).starts_with(entry.second));
  }
}

TEST_CASE("glob_match") {
  CHECK(glob_match("*", ""));
  CHECK(glob_match("*", "swr_up"));
  CHECK(glob_match("swr_up", "swr_up"));
  CHECK_FALSE(glob_match("swr_u", "swr_up"));
  CHECK_FALSE(glob_match("swr_up", "swr_u"));
  CHECK(glob_match("swr_*_total", "swr_exporter_api_requests_total"));
  CHECK_FALSE(glob_match("swr_*_total", "swr_exporter_api_requests_totals"));
  CHECK(glob_match("*_seconds*", "swr_sync_job_duration_seconds"));
  CHECK(glob_match("a*b*c", "aXbYbZc"));
  CHECK_FALSE(glob_match("a*b*c", "aXbYbZ"));
  CHECK(glob_match("**", "x"));
}

// --- config/example.toml shows every key, and loads ---------------------------------------------

namespace {

const std::string kExample = std::string(SWR_TEST_DATA_DIR) + "/../../config/example.toml";

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE_MESSAGE(in, "cannot read " << path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// "section.key" for every `key =` and `# key =` line, by the table ([x] or [[x]]) it is under.
std::set<std::string> keys_shown(const std::string& text) {
  static const std::regex header(R"(^\s*\[\[?\s*([a-z_]+)\s*\]\]?)");
  static const std::regex key(R"(^\s*(?:#\s*)?([a-z_]+)\s*=)");
  std::set<std::string> out;
  std::istringstream in(text);
  std::string section;
  for (std::string line; std::getline(in, line);) {
    std::smatch m;
    if (std::regex_search(line, m, header)) {
      section = m[1];
    } else if (std::regex_search(line, m, key)) {
      out.insert(section.empty() ? std::string(m[1]) : section + "." + std::string(m[1]));
    }
  }
  return out;
}

}  // namespace

TEST_CASE("known_keys: every section's keys, the method-specific ones of [auth] included") {
  const std::vector<std::string> keys = known_keys();
  for (const char* key : {"huaweicloud.region", "auth.metadata_endpoint", "auth.token_file",
                          "scrape.max_requests_per_second", "scrape.recheck_interval",
                          "metrics.enabled", "metrics.disabled", "discovery.only_with_sync_rules",
                          "sharding.total_shards", "targets.repositories"}) {
    CHECK_MESSAGE(std::find(keys.begin(), keys.end(), key) != keys.end(), key);
  }
  CHECK(std::set<std::string>(keys.begin(), keys.end()).size() == keys.size());
}

TEST_CASE("config/example.toml shows every key the loader knows, and no other") {
  const std::set<std::string> shown = keys_shown(read_text(kExample));
  for (const std::string& key : known_keys()) {
    CHECK_MESSAGE(shown.count(key), key << " is missing from config/example.toml");
  }
  const std::vector<std::string> keys = known_keys();
  for (const std::string& key : shown) {
    CHECK_MESSAGE(std::find(keys.begin(), keys.end(), key) != keys.end(),
                  key << " in config/example.toml is not a key the loader knows");
  }
  // `method = "metadata"` is shown, with its endpoint.
  CHECK(read_text(kExample).find("# method = \"metadata\"") != std::string::npos);
}

TEST_CASE("config/example.toml loads, with its secret files in place") {
  // It names /run/secrets/swr/*; the same text with those files in a temp directory.
  const TempDir dir;
  std::string text = read_text(kExample);
  const std::string secrets = "/run/secrets/swr/";
  REQUIRE(text.find(secrets) != std::string::npos);
  for (std::size_t at; (at = text.find(secrets)) != std::string::npos;) {
    text.replace(at, secrets.size(), dir.path(""));
  }
  dir.write("access_key", "EXAMPLEACCESSKEY\n");
  dir.write("secret_key", "example-secret-key\n");
  const std::string path = dir.write("example.toml", text);
  const LoadResult result = load_config_file(path, fake_env());
  INFO((result.config ? std::string("no error") : result.config.error().to_string()));
  REQUIRE(result.config.has_value());
  CHECK(result.warnings.empty());
  // Its values are the defaults wherever it states one.
  const Config& config = *result.config;
  const Config defaults;
  CHECK(config.scrape.interval == defaults.scrape.interval);
  CHECK(config.scrape.max_requests_per_second == defaults.scrape.max_requests_per_second);
  CHECK(config.scrape.full_resync_interval == defaults.scrape.full_resync_interval);
  CHECK(config.scrape.recheck_interval == defaults.scrape.recheck_interval);
  CHECK(config.metrics.duration_buckets == defaults.metrics.duration_buckets);
  CHECK(config.metrics.duration_labels == defaults.metrics.duration_labels);
  CHECK(config.metrics.disabled_families.empty());
  CHECK(config.discovery.interval == defaults.discovery.interval);
  CHECK(config.discovery.only_with_sync_rules == defaults.discovery.only_with_sync_rules);
  CHECK(config.sharding.total_shards == 1);
  CHECK(config.auth.access_key.value == "EXAMPLEACCESSKEY");
}

}  // namespace
}  // namespace swr::config
