// TOML -> Config: walks the document section by section and stops at the first problem, which
// it reports at the key or value that causes it. The only file that includes toml++.
#include "config/config_loader.h"

#include <toml++/toml.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <regex>
#include <string_view>

#include "config/endpoint.h"
#include "config/files.h"
#include "config/secrets.h"
#include "model/metric_families.h"
#include "suggest/did_you_mean.h"

#if !TOML_EXCEPTIONS
#error "the loader reports toml++ parse errors through toml::parse_error exceptions"
#endif

namespace swr::config {

namespace {

using Keys = std::vector<std::string_view>;

const Keys kTopLevelKeys{"huaweicloud", "auth",     "scrape", "metrics",
                         "discovery",   "sharding", "targets"};
const Keys kHuaweiCloudKeys{"region", "swr_endpoint", "iam_endpoint", "project_id", "ca_file"};
const Keys kAkSkKeys{"access_key", "secret_key", "access_key_file", "secret_key_file"};
const Keys kPasswordKeys{"domain_name", "user_name", "password", "password_file", "project_name"};
const Keys kTokenKeys{"token_file"};
const Keys kMetadataKeys{"metadata_endpoint"};
const Keys kAuthKeys{"method",          "access_key",   "secret_key", "access_key_file",
                     "secret_key_file", "domain_name",  "user_name",  "password",
                     "password_file",   "project_name", "token_file", "metadata_endpoint"};
const Keys kScrapeKeys{"interval",
                       "timeout",
                       "page_size",
                       "concurrency",
                       "max_requests_per_second",
                       "full_resync_interval",
                       "recheck_interval"};
const Keys kMetricsKeys{"duration_buckets", "duration_labels", "enabled", "disabled"};
const Keys kTargetKeys{"organization", "repositories"};
const Keys kDiscoveryKeys{"include", "exclude", "interval", "only_with_sync_rules"};
const Keys kShardingKeys{"shard", "total_shards"};
const Keys kMethods{"aksk", "password", "token", "metadata"};
const Keys kDurationLabels(family::kSyncJobDuration.labels.begin(),
                           family::kSyncJobDuration.labels.end());

// The families no selection turns off, from the catalogue: "a, b, c<last>d".
std::string always_on_families(std::string_view last) {
  std::vector<std::string_view> names;
  for (const MetricFamilySpec& family : kMetricFamilies) {
    if (family.always_on) names.push_back(family.name);
  }
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += i + 1 == names.size() ? last : ", ";
    out += names[i];
  }
  return out;
}

struct Section {
  std::string_view name;
  std::string_view header;  // how the user writes it
  const Keys* keys;
};
const std::array<Section, 7> kSections{{{"huaweicloud", "[huaweicloud]", &kHuaweiCloudKeys},
                                        {"auth", "[auth]", &kAuthKeys},
                                        {"scrape", "[scrape]", &kScrapeKeys},
                                        {"metrics", "[metrics]", &kMetricsKeys},
                                        {"discovery", "[discovery]", &kDiscoveryKeys},
                                        {"sharding", "[sharding]", &kShardingKeys},
                                        {"targets", "[[targets]]", &kTargetKeys}}};

constexpr std::chrono::milliseconds kMinimumDuration{100};
constexpr std::string_view kDurationHint =
    "use a number with a unit (ms, s, m, h), largest unit first, like \"500ms\", \"30s\", "
    "\"5m\" or \"1m30s\"";

bool contains(const Keys& keys, std::string_view key) {
  return std::find(keys.begin(), keys.end(), key) != keys.end();
}

std::string join(const Keys& keys) {
  std::string out;
  for (const std::string_view key : keys) {
    if (!out.empty()) out += ", ";
    out += key;
  }
  return out;
}

std::string quoted(std::string_view text) { return "\"" + std::string(text) + "\""; }

std::string type_name(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a float";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

// Shortest round-trip form, independent of the locale.
std::string format_number(double value) {
  char buffer[32];
  const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  if (ec != std::errc()) return "?";
  return std::string(buffer, end);
}

bool has_control_character(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte < 0x20 || byte == 0x7f;
  });
}

bool has_space_or_control_character(std::string_view text) {
  return has_control_character(text) || text.find(' ') != std::string_view::npos;
}

bool looks_like_region(std::string_view region) {
  if (region.empty() || region.front() < 'a' || region.front() > 'z' || region.back() == '-') {
    return false;
  }
  return std::all_of(region.begin(), region.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

std::string join_path(std::string_view table, std::string_view key) {
  if (table.empty()) return std::string(key);
  return std::string(table) + "." + std::string(key);
}

// Thrown inside the loader only: the first problem ends the walk.
struct Failure {
  ConfigError error;
};

class Loader {
 public:
  Loader(std::string path, const EnvLookup& env) : path_(std::move(path)), env_(env) {}

  Config load(const toml::table& root) {
    check_keys(root, "", "the top level", kTopLevelKeys);
    Config config;
    config.path = path_;
    config.huaweicloud = load_huaweicloud(root);
    config.auth = load_auth(root, config.huaweicloud.region);
    config.scrape = load_scrape(root);
    config.metrics = load_metrics(root);
    config.discovery = load_discovery(root);
    config.sharding = load_sharding(root);
    config.targets = load_targets(root);
    return config;
  }

  std::vector<std::string> take_warnings() { return std::move(warnings_); }

 private:
  // --- reporting -------------------------------------------------------------------------------

  [[noreturn]] void fail(const toml::source_region& where, std::string message) const {
    throw Failure{ConfigError{path_, static_cast<int>(where.begin.line),
                              static_cast<int>(where.begin.column), std::move(message)}};
  }
  [[noreturn]] void fail(const toml::node& node, std::string message) const {
    fail(node.source(), std::move(message));
  }
  // At `table` when the user wrote it, else without a place.
  [[noreturn]] void fail_in(const toml::table* table, std::string message) const {
    fail(table != nullptr ? table->source() : toml::source_region{}, std::move(message));
  }

  void check_keys(const toml::table& table, std::string_view path, std::string_view display,
                  const Keys& known) const {
    for (auto&& [key, node] : table) {
      if (contains(known, key.str())) continue;
      std::string message = "unknown key " + join_path(path, key.str());
      if (const auto suggestion = suggest::closest_match(key.str(), known)) {
        fail(key.source(), message + "; did you mean `" + *suggestion + "`?");
      }
      for (const Section& section : kSections) {
        if (contains(*section.keys, key.str()) && !path.starts_with(section.name)) {
          fail(key.source(), message + "; `" + std::string(key.str()) + "` belongs in " +
                                 std::string(section.header));
        }
      }
      fail(key.source(), message + "; the keys of " + std::string(display) + " are " + join(known));
    }
  }

  // --- typed access ----------------------------------------------------------------------------

  const toml::table* section(const toml::table& root, std::string_view name) const {
    const toml::node* node = root.get(name);
    if (node == nullptr) return nullptr;
    if (!node->is_table()) {
      fail(*node, std::string(name) + " must be a table ([" + std::string(name) + "]), not " +
                      type_name(*node));
    }
    return node->as_table();
  }

  const toml::node* find(const toml::table* table, std::string_view key) const {
    return table != nullptr ? table->get(key) : nullptr;
  }

  const std::string* string_at(const toml::table* table, std::string_view key,
                               const std::string& path) const {
    const toml::node* node = find(table, key);
    if (node == nullptr) return nullptr;
    if (!node->is_string()) fail(*node, path + " must be a string, not " + type_name(*node));
    return &node->as_string()->get();
  }

  std::optional<std::int64_t> integer_at(const toml::table* table, std::string_view key,
                                         const std::string& path) const {
    const toml::node* node = find(table, key);
    if (node == nullptr) return std::nullopt;
    if (!node->is_integer()) fail(*node, path + " must be an integer, not " + type_name(*node));
    return node->as_integer()->get();
  }

  const toml::array* array_at(const toml::table* table, std::string_view key,
                              const std::string& path, std::string_view of_what) const {
    const toml::node* node = find(table, key);
    if (node == nullptr) return nullptr;
    if (!node->is_array()) {
      fail(*node,
           path + " must be an array of " + std::string(of_what) + ", not " + type_name(*node));
    }
    return node->as_array();
  }

  // A path to a file the config names, resolved against the config's directory.
  std::string file_path(const std::string& name) const {
    return detail::relative_to_config(name, path_);
  }

  // --- [huaweicloud] ---------------------------------------------------------------------------

  HuaweiCloud load_huaweicloud(const toml::table& root) const {
    const toml::table* table = section(root, "huaweicloud");
    if (table == nullptr) {
      fail_in(nullptr,
              "huaweicloud.region is required: add a [huaweicloud] table with region = "
              "\"cn-north-4\" (or your region)");
    }
    check_keys(*table, "huaweicloud", "[huaweicloud]", kHuaweiCloudKeys);
    HuaweiCloud cloud;

    const std::string* region = string_at(table, "region", "huaweicloud.region");
    if (region == nullptr) {
      fail_in(table, "huaweicloud.region is required: set it to a region id like \"cn-north-4\"");
    }
    if (!looks_like_region(*region)) {
      fail(*table->get("region"), "huaweicloud.region " + quoted(*region) +
                                      " is not a region id: use lowercase letters, digits and "
                                      "`-`, like \"cn-north-4\"");
    }
    cloud.region = *region;

    cloud.swr_endpoint = endpoint(table, "swr_endpoint", detail::default_swr_endpoint(*region));
    cloud.iam_endpoint = endpoint(table, "iam_endpoint", detail::default_iam_endpoint(*region));

    if (const std::string* project_id = string_at(table, "project_id", "huaweicloud.project_id")) {
      if (has_space_or_control_character(*project_id)) {
        fail(*table->get("project_id"),
             "huaweicloud.project_id must not contain spaces or control characters: it is sent "
             "as the X-Project-Id header");
      }
      cloud.project_id = *project_id;
    }

    if (const std::string* ca_file = string_at(table, "ca_file", "huaweicloud.ca_file")) {
      if (!ca_file->empty()) {
        cloud.ca_file = file_path(*ca_file);
        if (const Result<void> readable = detail::check_readable(cloud.ca_file); !readable) {
          fail(*table->get("ca_file"),
               "cannot read huaweicloud.ca_file " + cloud.ca_file + ": " + readable.error());
        }
      }
    }
    return cloud;
  }

  std::string endpoint(const toml::table* table, std::string_view key,
                       std::string default_url) const {
    const std::string path = join_path("huaweicloud", key);
    const std::string* url = string_at(table, key, path);
    if (url == nullptr || url->empty()) return default_url;
    Result<std::string> checked = detail::check_endpoint(*url);
    if (!checked) fail(*table->get(key), path + " " + quoted(*url) + " " + checked.error());
    return std::move(*checked);
  }

  // --- [auth] ----------------------------------------------------------------------------------

  Auth load_auth(const toml::table& root, const std::string& region) {
    const toml::table* table = section(root, "auth");
    if (table != nullptr) check_keys(*table, "auth", "[auth]", kAuthKeys);
    Auth auth;

    std::string method = "aksk";
    if (const std::string* given = string_at(table, "method", "auth.method")) method = *given;
    const Keys* own_keys = nullptr;
    if (method == "aksk") {
      auth.method = AuthMethod::kAkSk;
      own_keys = &kAkSkKeys;
    } else if (method == "password") {
      auth.method = AuthMethod::kPassword;
      own_keys = &kPasswordKeys;
    } else if (method == "token") {
      auth.method = AuthMethod::kToken;
      own_keys = &kTokenKeys;
    } else if (method == "metadata") {
      auth.method = AuthMethod::kMetadata;
      own_keys = &kMetadataKeys;
    } else {
      std::string message =
          "auth.method " + quoted(method) + " is not one of aksk, password, token, metadata";
      if (const auto suggestion = suggest::closest_match(method, kMethods)) {
        message += "; did you mean `" + *suggestion + "`?";
      }
      fail(*table->get("method"), message);
    }

    if (table != nullptr) {
      for (auto&& [key, node] : *table) {
        if (key.str() == "method" || contains(*own_keys, key.str())) continue;
        const std::string_view owner = contains(kAkSkKeys, key.str())       ? "aksk"
                                       : contains(kPasswordKeys, key.str()) ? "password"
                                       : contains(kTokenKeys, key.str())    ? "token"
                                                                            : "metadata";
        fail(key.source(), "auth." + std::string(key.str()) + " is only used with method = " +
                               quoted(owner) + " (method is " + quoted(method) + ")");
      }
    }

    switch (auth.method) {
      case AuthMethod::kAkSk:
        load_aksk(table, auth);
        break;
      case AuthMethod::kPassword:
        load_password(table, region, auth);
        break;
      case AuthMethod::kToken:
        load_token(table, auth);
        break;
      case AuthMethod::kMetadata:
        if (const std::string* endpoint =
                string_at(table, "metadata_endpoint", "auth.metadata_endpoint")) {
          if (!endpoint->starts_with("http://") && !endpoint->starts_with("https://")) {
            fail(*table->get("metadata_endpoint"),
                 "auth.metadata_endpoint " + quoted(*endpoint) +
                     " must be an http:// or https:// URL, like \"http://169.254.169.254\"");
          }
          auth.metadata_endpoint = *endpoint;
          while (auth.metadata_endpoint.ends_with('/')) auth.metadata_endpoint.pop_back();
        }
        break;
    }
    return auth;
  }

  // The secret from `inline_key` or from the file `file_key` names; nothing when neither is set.
  std::optional<Secret> secret_from_config(const toml::table* table, std::string_view inline_key,
                                           std::string_view file_key) {
    const std::string inline_path = join_path("auth", inline_key);
    const std::string file_key_path = join_path("auth", file_key);
    const std::string* value = string_at(table, inline_key, inline_path);
    const std::string* file = string_at(table, file_key, file_key_path);
    if (value != nullptr && file != nullptr) {
      fail(*table->get(file_key),
           inline_path + " and " + file_key_path + " are both set: keep one");
    }
    if (value != nullptr) {
      if (value->empty()) {
        fail(*table->get(inline_key), inline_path + " is empty: set it, or use " + file_key_path);
      }
      return Secret{*value, inline_path};
    }
    if (file != nullptr) {
      const toml::node& node = *table->get(file_key);
      if (file->empty()) fail(node, file_key_path + " is empty: give the path of the file");
      detail::SecretFile read = detail::read_secret_file(file_key_path, file_path(*file));
      if (!read.error.empty()) fail(node, read.error);
      if (!read.warning.empty()) warnings_.push_back(read.warning);
      return std::move(read.secret);
    }
    return std::nullopt;
  }

  std::optional<Secret> secret_from_env(const std::string& name) const {
    std::optional<std::string> value = env_ ? env_(name) : std::nullopt;
    if (!value || value->empty()) return std::nullopt;
    return Secret{std::move(*value), "env " + name};
  }

  void load_aksk(const toml::table* table, Auth& auth) {
    std::optional<Secret> access_key = secret_from_config(table, "access_key", "access_key_file");
    std::optional<Secret> secret_key = secret_from_config(table, "secret_key", "secret_key_file");
    if (access_key && !secret_key) {
      fail_in(table, "auth.secret_key is missing: " + access_key->source +
                         " needs a secret key too (auth.secret_key or auth.secret_key_file)");
    }
    if (secret_key && !access_key) {
      fail_in(table, "auth.access_key is missing: " + secret_key->source +
                         " needs an access key too (auth.access_key or auth.access_key_file)");
    }
    if (!access_key) {
      access_key = secret_from_env("HUAWEICLOUD_SDK_AK");
      secret_key = secret_from_env("HUAWEICLOUD_SDK_SK");
      if (!access_key || !secret_key) {
        std::string message =
            "no access key for method = \"aksk\": set auth.access_key and auth.secret_key, or "
            "auth.access_key_file and auth.secret_key_file, or the environment variables "
            "HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK";
        if (access_key) message += " (HUAWEICLOUD_SDK_SK is not set)";
        if (secret_key) message += " (HUAWEICLOUD_SDK_AK is not set)";
        fail_in(table, message);
      }
    }
    auth.access_key = std::move(*access_key);
    auth.secret_key = std::move(*secret_key);
  }

  std::string required_name(const toml::table* table, std::string_view key,
                            std::string_view what) const {
    const std::string path = join_path("auth", key);
    const std::string* value = string_at(table, key, path);
    if (value == nullptr) {
      fail_in(table, path + " is required with method = \"password\": " + std::string(what));
    }
    if (value->empty()) fail(*table->get(key), path + " is empty: " + std::string(what));
    return *value;
  }

  void load_password(const toml::table* table, const std::string& region, Auth& auth) {
    auth.domain_name = required_name(table, "domain_name", "set it to the account (domain) name");
    auth.user_name = required_name(table, "user_name", "set it to the IAM user name");
    std::optional<Secret> password = secret_from_config(table, "password", "password_file");
    if (!password) password = secret_from_env("SWR_EXPORTER_PASSWORD");
    if (!password) {
      fail_in(table,
              "no password for method = \"password\": set auth.password or auth.password_file, "
              "or the environment variable SWR_EXPORTER_PASSWORD");
    }
    auth.password = std::move(*password);
    auth.project_name = region;
    if (const std::string* project = string_at(table, "project_name", "auth.project_name")) {
      if (project->empty()) {
        fail(*table->get("project_name"),
             "auth.project_name is empty: leave it out to use the region " + quoted(region));
      }
      auth.project_name = *project;
    }
  }

  void load_token(const toml::table* table, Auth& auth) {
    const std::string* file = string_at(table, "token_file", "auth.token_file");
    if (file == nullptr) {
      fail_in(table,
              "auth.token_file is required with method = \"token\": the file holding the IAM "
              "token, re-read when it changes");
    }
    const toml::node& node = *table->get("token_file");
    if (file->empty()) fail(node, "auth.token_file is empty: give the path of the token file");
    auth.token_file = file_path(*file);
    if (const Result<void> readable = detail::check_readable(auth.token_file); !readable) {
      fail(node, "cannot read auth.token_file " + auth.token_file + ": " + readable.error());
    }
    std::string warning = detail::loose_permission_warning("auth.token_file", auth.token_file);
    if (!warning.empty()) warnings_.push_back(std::move(warning));
  }

  // --- [scrape] --------------------------------------------------------------------------------

  Scrape load_scrape(const toml::table& root) const {
    const toml::table* table = section(root, "scrape");
    if (table != nullptr) check_keys(*table, "scrape", "[scrape]", kScrapeKeys);
    Scrape scrape;
    scrape.interval = duration(table, "interval", scrape.interval);
    scrape.timeout = duration(table, "timeout", scrape.timeout);
    scrape.page_size = bounded_integer(table, "page_size", scrape.page_size, 1, 1000);
    scrape.concurrency = bounded_integer(table, "concurrency", scrape.concurrency, 1, 64);
    scrape.max_requests_per_second = bounded_number(table, "max_requests_per_second",
                                                    scrape.max_requests_per_second, 0.01, 10000);
    scrape.full_resync_interval =
        duration(table, "full_resync_interval", scrape.full_resync_interval);
    scrape.recheck_interval = recheck_interval(table, scrape.interval);
    return scrape;
  }

  // "0s" turns change-driven polling off (every repository read every cycle); otherwise it must
  // be at least one interval, or every cycle would be a recheck of everything.
  std::chrono::milliseconds recheck_interval(const toml::table* table,
                                             std::chrono::milliseconds interval) const {
    const toml::node* node = find(table, "recheck_interval");
    if (node == nullptr) return Scrape{}.recheck_interval;
    if (node->is_string()) {
      const std::string_view text = node->as_string()->get();
      const std::size_t zeros = text.find_first_not_of('0');
      if (zeros > 0 && zeros != std::string_view::npos) {
        const std::string_view unit = text.substr(zeros);
        if (unit == "ms" || unit == "s" || unit == "m" || unit == "h") {
          return std::chrono::milliseconds{0};
        }
      }
    }
    const std::chrono::milliseconds value =
        duration(table, "recheck_interval", Scrape{}.recheck_interval);
    if (value < interval) {
      fail(*node, "scrape.recheck_interval " + quoted(node->as_string()->get()) +
                      " is shorter than scrape.interval: use at least the interval, or \"0s\" "
                      "to read every repository every cycle");
    }
    return value;
  }

  std::chrono::milliseconds duration(const toml::table* table, std::string_view key,
                                     std::chrono::milliseconds default_value,
                                     std::string_view section = "scrape") const {
    const std::string path = join_path(section, key);
    const toml::node* node = find(table, key);
    if (node == nullptr) return default_value;
    if (!node->is_string()) {
      fail(*node, path + " must be a duration string like \"30s\", not " + type_name(*node));
    }
    const std::string& text = node->as_string()->get();
    const auto parsed = parse_duration(text);
    if (!parsed)
      fail(*node, path + " " + quoted(text) + " is not a duration: " + std::string(kDurationHint));
    if (*parsed < kMinimumDuration) {
      fail(*node, path + " " + quoted(text) + " is too short: use at least \"100ms\"");
    }
    return *parsed;
  }

  int bounded_integer(const toml::table* table, std::string_view key, int default_value, int low,
                      int high, std::string_view section = "scrape") const {
    const std::string path = join_path(section, key);
    const auto value = integer_at(table, key, path);
    if (!value) return default_value;
    if (*value < low || *value > high) {
      fail(*table->get(key), path + " = " + std::to_string(*value) + " is out of range: use " +
                                 std::to_string(low) + " to " + std::to_string(high));
    }
    return static_cast<int>(*value);
  }

  double bounded_number(const toml::table* table, std::string_view key, double default_value,
                        double low, double high) const {
    const std::string path = join_path("scrape", key);
    const toml::node* node = find(table, key);
    if (node == nullptr) return default_value;
    double value = 0;
    if (const auto* integer = node->as_integer()) {
      value = static_cast<double>(integer->get());
    } else if (const auto* floating = node->as_floating_point()) {
      value = floating->get();
    } else {
      fail(*node, path + " must be a number, not " + type_name(*node));
    }
    if (!(value >= low && value <= high)) {
      fail(*node, path + " = " + format_number(value) + " is out of range: use " +
                      format_number(low) + " to " + format_number(high));
    }
    return value;
  }

  // --- [metrics] -------------------------------------------------------------------------------

  Metrics load_metrics(const toml::table& root) const {
    const toml::table* table = section(root, "metrics");
    if (table != nullptr) check_keys(*table, "metrics", "[metrics]", kMetricsKeys);
    Metrics metrics;
    if (const toml::array* buckets =
            array_at(table, "duration_buckets", "metrics.duration_buckets", "numbers")) {
      metrics.duration_buckets = load_buckets(*table->get("duration_buckets"), *buckets);
    }
    if (const toml::array* labels =
            array_at(table, "duration_labels", "metrics.duration_labels", "strings")) {
      metrics.duration_labels = load_labels(*labels);
    }
    metrics.disabled_families = load_family_selection(table);
    return metrics;
  }

  // `enabled` serves only the families it matches (and the always-on ones), `disabled` all but
  // those it matches; the result is the families not served.
  std::vector<std::string> load_family_selection(const toml::table* table) const {
    const toml::node* enabled = find(table, "enabled");
    const toml::node* disabled = find(table, "disabled");
    if (enabled != nullptr && disabled != nullptr) {
      const bool disabled_second = disabled->source().begin > enabled->source().begin;
      fail(disabled_second ? *disabled : *enabled,
           "metrics.enabled and metrics.disabled are both set: keep one (enabled serves only the "
           "families it lists, disabled serves all but those)");
    }
    if (enabled == nullptr && disabled == nullptr) return {};
    const bool allow = enabled != nullptr;
    const std::string_view key = allow ? "enabled" : "disabled";
    const toml::array* array =
        array_at(table, key, join_path("metrics", key), "metric family names");
    if (allow && array->empty()) {
      fail(*enabled,
           "metrics.enabled is empty: list the families to serve, or leave it out to serve "
           "every family");
    }
    std::vector<bool> matched(kMetricFamilies.size(), false);
    std::vector<std::string_view> seen;
    for (std::size_t i = 0; i < array->size(); ++i) {
      const toml::node& element = *array->get(i);
      const std::string path = "metrics." + std::string(key) + "[" + std::to_string(i) + "]";
      if (!element.is_string()) {
        fail(element, path + " must be a metric family name, not " + type_name(element));
      }
      const std::string& pattern = element.as_string()->get();
      if (std::find(seen.begin(), seen.end(), pattern) != seen.end()) {
        fail(element, path + " " + quoted(pattern) + " is listed twice: keep one");
      }
      seen.push_back(pattern);
      match_families(element, path, pattern, allow, matched);
    }
    std::vector<std::string> off;
    for (std::size_t f = 0; f < kMetricFamilies.size(); ++f) {
      const bool served = allow ? matched[f] : !matched[f];
      if (kMetricFamilies[f].always_on || served) continue;
      off.emplace_back(kMetricFamilies[f].name);
    }
    return off;
  }

  // Marks the families `pattern` (a name or a `*` glob) matches; fails when it matches none, or,
  // in `disabled`, none that can be turned off.
  void match_families(const toml::node& element, const std::string& path,
                      const std::string& pattern, bool allow, std::vector<bool>& matched) const {
    bool any = false;
    bool always_on = false;
    for (std::size_t f = 0; f < kMetricFamilies.size(); ++f) {
      if (!glob_match(pattern, kMetricFamilies[f].name)) continue;
      if (!allow && kMetricFamilies[f].always_on) {
        always_on = true;
        continue;
      }
      matched[f] = true;
      any = true;
    }
    if (any) return;
    const std::string head = path + " " + quoted(pattern);
    const bool glob = pattern.find('*') != std::string::npos;
    if (always_on) {
      fail(element, head + (glob ? " matches only families that are always served (" +
                                       always_on_families(", ") + ")"
                                 : " is always served: " + always_on_families(" and ") +
                                       " tell a broken exporter from a quiet one, and cannot be "
                                       "turned off"));
    }
    if (glob) {
      fail(element, head +
                        " matches no metric family: the families start with swr_sync_, "
                        "swr_exporter_, swr_up or process_ (docs/metrics.md lists them)");
    }
    // A histogram's sample name for the histogram.
    for (const std::string_view suffix : {"_bucket", "_count", "_sum"}) {
      if (!pattern.ends_with(suffix)) continue;
      const std::string family = pattern.substr(0, pattern.size() - suffix.size());
      if (metric_family_index(family)) {
        std::string message = head;
        message += " is a sample of the histogram " + family;
        message += "; name the family: did you mean `" + family + "`?";
        fail(element, message);
      }
    }
    std::vector<std::string_view> names;
    names.reserve(std::size(kMetricFamilies));
    for (const MetricFamilySpec& family : kMetricFamilies) names.push_back(family.name);
    std::string message = head + " is not a metric family";
    if (const auto suggestion = suggest::closest_match(pattern, names)) {
      message += "; did you mean `" + *suggestion + "`?";
    } else {
      message += ": docs/metrics.md lists them, and `*` matches any run of characters";
    }
    fail(element, message);
  }

  std::vector<double> load_buckets(const toml::node& node, const toml::array& array) const {
    if (array.empty()) {
      fail(node,
           "metrics.duration_buckets is empty: give upper bounds in seconds, like [1, 5, 10, 30, "
           "60]");
    }
    std::vector<double> buckets;
    for (std::size_t i = 0; i < array.size(); ++i) {
      const toml::node& element = *array.get(i);
      const std::string path = "metrics.duration_buckets[" + std::to_string(i) + "]";
      double value = 0;
      if (const auto* integer = element.as_integer()) {
        value = static_cast<double>(integer->get());
      } else if (const auto* floating = element.as_floating_point()) {
        value = floating->get();
      } else {
        fail(element, path + " must be a number of seconds, not " + type_name(element));
      }
      if (!std::isfinite(value)) fail(element, path + " must be a finite number of seconds");
      if (value <= 0) {
        fail(element, path + " = " + format_number(value) + " must be greater than 0 (seconds)");
      }
      if (!buckets.empty() && value <= buckets.back()) {
        fail(element, path + " = " + format_number(value) + " is not greater than the bucket " +
                          "before it (" + format_number(buckets.back()) +
                          "): buckets must be strictly increasing");
      }
      buckets.push_back(value);
    }
    return buckets;
  }

  std::vector<std::string> load_labels(const toml::array& array) const {
    std::vector<std::string> labels;
    for (std::size_t i = 0; i < array.size(); ++i) {
      const toml::node& element = *array.get(i);
      const std::string path = "metrics.duration_labels[" + std::to_string(i) + "]";
      if (!element.is_string()) {
        fail(element, path + " must be a string, not " + type_name(element));
      }
      const std::string& label = element.as_string()->get();
      if (!contains(kDurationLabels, label)) {
        std::string message =
            path + " " + quoted(label) + " is not a label: use " + join(kDurationLabels);
        if (const auto suggestion = suggest::closest_match(label, kDurationLabels)) {
          message += "; did you mean `" + *suggestion + "`?";
        }
        fail(element, message);
      }
      if (std::find(labels.begin(), labels.end(), label) != labels.end()) {
        fail(element, path + " " + quoted(label) + " is listed twice: keep one");
      }
      labels.push_back(label);
    }
    return labels;
  }

  // --- [discovery] and [sharding] ----------------------------------------------------------------

  Discovery load_discovery(const toml::table& root) const {
    const toml::table* table = section(root, "discovery");
    if (table != nullptr) check_keys(*table, "discovery", "[discovery]", kDiscoveryKeys);
    Discovery discovery;
    for (const auto& [key, target] :
         {std::pair{"include", &discovery.include}, std::pair{"exclude", &discovery.exclude}}) {
      const std::string path = join_path("discovery", key);
      if (const std::string* text = string_at(table, key, path)) {
        try {
          std::regex compiled(*text, std::regex::ECMAScript);
        } catch (const std::regex_error& e) {
          fail(*table->get(key),
               path + " " + quoted(*text) + " is not a valid regular expression: " + e.what());
        }
        *target = *text;
      }
    }
    discovery.interval = duration(table, "interval", discovery.interval, "discovery");
    if (const toml::node* node = find(table, "only_with_sync_rules")) {
      if (!node->is_boolean()) {
        fail(*node,
             "discovery.only_with_sync_rules must be true or false, not " + type_name(*node));
      }
      discovery.only_with_sync_rules = node->as_boolean()->get();
    }
    return discovery;
  }

  Sharding load_sharding(const toml::table& root) const {
    const toml::table* table = section(root, "sharding");
    if (table != nullptr) check_keys(*table, "sharding", "[sharding]", kShardingKeys);
    Sharding sharding;
    sharding.total_shards =
        bounded_integer(table, "total_shards", sharding.total_shards, 1, 1000, "sharding");
    sharding.shard = bounded_integer(table, "shard", sharding.shard, 0, 999, "sharding");
    if (sharding.shard >= sharding.total_shards) {
      fail(*table->get("shard"),
           "sharding.shard = " + std::to_string(sharding.shard) +
               " must be below sharding.total_shards = " + std::to_string(sharding.total_shards) +
               ": shards count from 0");
    }
    return sharding;
  }

  // --- [[targets]] -----------------------------------------------------------------------------

  std::vector<Target> load_targets(const toml::table& root) const {
    constexpr std::string_view kNoTargets =
        "targets is empty: leave [[targets]] out to watch every organization, or add one "
        "[[targets]] per organization";
    const toml::node* node = root.get("targets");
    if (node == nullptr) return {};  // every organization the credentials can see
    const toml::array* array = node->as_array();
    if (array == nullptr) {
      fail(*node,
           "targets must be an array of tables: write [[targets]] (two brackets) for each "
           "organization, not " +
               type_name(*node));
    }
    if (array->empty()) fail(*node, std::string(kNoTargets));

    std::vector<Target> targets;
    std::vector<const toml::node*> organization_nodes;
    for (std::size_t i = 0; i < array->size(); ++i) {
      const toml::node& element = *array->get(i);
      const std::string path = "targets[" + std::to_string(i) + "]";
      const toml::table* table = element.as_table();
      if (table == nullptr) {
        fail(element, path + " must be a table with organization and repositories, not " +
                          type_name(element));
      }
      check_keys(*table, path, "[[targets]]", kTargetKeys);
      Target target;

      const std::string* organization = string_at(table, "organization", path + ".organization");
      if (organization == nullptr) {
        fail_in(table, path + ".organization is required: the SWR organization to watch");
      }
      const toml::node& organization_node = *table->get("organization");
      if (organization->empty()) {
        fail(organization_node, path + ".organization is empty: name an SWR organization");
      }
      if (has_space_or_control_character(*organization) ||
          organization->find('/') != std::string::npos) {
        fail(organization_node, path + ".organization " + quoted(*organization) +
                                    " must not contain `/`, spaces or control characters: "
                                    "repositories go in repositories");
      }
      for (std::size_t j = 0; j < targets.size(); ++j) {
        if (targets[j].organization == *organization) {
          fail(organization_node, path + ".organization " + quoted(*organization) +
                                      " is already listed in targets[" + std::to_string(j) +
                                      "] (line " +
                                      std::to_string(organization_nodes[j]->source().begin.line) +
                                      "): merge the repositories into one [[targets]]");
        }
      }
      target.organization = *organization;
      organization_nodes.push_back(&organization_node);

      const std::string repositories_path = path + ".repositories";
      const toml::array* repositories =
          array_at(table, "repositories", repositories_path, "repository names");
      if (repositories == nullptr) {  // every repository of the organization
        targets.push_back(std::move(target));
        continue;
      }
      if (repositories->empty()) {
        fail(*table->get("repositories"),
             repositories_path +
                 " is empty: list the repositories to watch, or leave repositories out to watch "
                 "all of the organization's");
      }
      target.repositories = load_repositories(*repositories, repositories_path);
      targets.push_back(std::move(target));
    }
    return targets;
  }

  std::vector<std::string> load_repositories(const toml::array& array,
                                             const std::string& path) const {
    std::vector<std::string> repositories;
    for (std::size_t i = 0; i < array.size(); ++i) {
      const toml::node& element = *array.get(i);
      const std::string element_path = path + "[" + std::to_string(i) + "]";
      if (!element.is_string()) {
        fail(element, element_path + " must be a string, not " + type_name(element));
      }
      const std::string& name = element.as_string()->get();
      if (name.empty()) fail(element, element_path + " is empty: name a repository");
      if (has_control_character(name)) {
        fail(element, element_path + " must not contain control characters");
      }
      if (name.front() == '/' || name.back() == '/' || name.find("//") != std::string::npos) {
        fail(element, element_path + " " + quoted(name) +
                          " has an empty path segment: no leading, trailing or doubled `/`, like "
                          "\"team/app2\"");
      }
      if (std::find(repositories.begin(), repositories.end(), name) != repositories.end()) {
        fail(element, element_path + " " + quoted(name) + " is listed twice: keep one");
      }
      repositories.push_back(name);
    }
    return repositories;
  }

  std::string path_;
  const EnvLookup& env_;
  std::vector<std::string> warnings_;
};

}  // namespace

std::vector<std::string> known_keys() {
  std::vector<std::string> keys;
  for (const Section& section : kSections) {
    for (const std::string_view key : *section.keys) keys.push_back(join_path(section.name, key));
  }
  return keys;
}

LoadResult load_config_text(std::string_view text, const std::string& path, const EnvLookup& env) {
  LoadResult result;
  Loader loader(path, env);
  try {
    const toml::table root = toml::parse(text, path);
    result.config = loader.load(root);
  } catch (const toml::parse_error& error) {
    result.config = unexpected(ConfigError{path, static_cast<int>(error.source().begin.line),
                                           static_cast<int>(error.source().begin.column),
                                           std::string(error.description())});
  } catch (const Failure& failure) {
    result.config = unexpected(failure.error);
  }
  // Warnings stand even when a later problem stops the load: both are worth fixing.
  result.warnings = loader.take_warnings();
  return result;
}

LoadResult load_config_file(const std::string& path, const EnvLookup& env) {
  const Result<std::string> text = detail::read_whole_file(path);
  if (!text) {
    LoadResult result;
    result.config =
        unexpected(ConfigError{path, 0, 0, "cannot read the config file: " + text.error()});
    return result;
  }
  return load_config_text(*text, path, env);
}

}  // namespace swr::config
