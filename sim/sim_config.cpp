#include "sim_config.h"

#include <toml++/toml.h>

#include <charconv>
#include <fstream>
#include <sstream>

namespace swr::sim {

namespace {

constexpr std::int64_t kMaxDurationMs = 365LL * 24 * 3600 * 1000;
constexpr std::int64_t kMaxHugeBodyBytes = 4LL * 1024 * 1024 * 1024;

std::optional<std::int64_t> parse_int(std::string_view text) {
  std::int64_t value = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc{} || ptr != end || text.empty()) return std::nullopt;
  return value;
}

// Built by hand: `"'" + std::string(s)` trips a GCC 12 -Wrestrict false positive.
std::string quoted(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out.push_back('`');
  out.append(s);
  out.push_back('`');
  return out;
}

// Splits `HOST:PORT` or `[V6]:PORT`.
void set_listen(std::string_view text, const std::string& what, SimConfig& config) {
  const std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    throw ConfigError(what + ": expected HOST:PORT, got " + quoted(text));
  }
  std::string_view host = text.substr(0, colon);
  if (host.front() == '[') {
    if (host.back() != ']' || host.size() < 3) {
      throw ConfigError(what + ": bad IPv6 address in " + quoted(text));
    }
    host = host.substr(1, host.size() - 2);
  }
  const auto port = parse_int(text.substr(colon + 1));
  if (!port || *port < 0 || *port > 65535) {
    throw ConfigError(what + ": port must be 0..65535, got " + quoted(text.substr(colon + 1)));
  }
  config.listen_host = std::string(host);
  config.listen_port = static_cast<int>(*port);
}

std::int64_t checked_count(std::int64_t value, std::int64_t max, const std::string& what) {
  if (value < 0 || value > max) {
    throw ConfigError(what + ": must be 0.." + std::to_string(max) + ", got " +
                      std::to_string(value));
  }
  return value;
}

std::int64_t checked_duration(std::string_view text, const std::string& what) {
  const auto ms = parse_duration_ms(text);
  if (!ms) {
    throw ConfigError(what + ": expected a duration such as 500ms, 30s, 5m or 24h, got " +
                      quoted(text));
  }
  return *ms;
}

// Settings shared by flags and TOML keys, applied from text (flags) or typed values (TOML).
void set_scalar(std::string_view key, std::string_view text, const std::string& what,
                SimConfig& c) {
  auto integer = [&]() {
    const auto v = parse_int(text);
    if (!v) throw ConfigError(what + ": expected an integer, got " + quoted(text));
    return *v;
  };
  if (key == "listen") {
    set_listen(text, what, c);
  } else if (key == "seed") {
    const auto v = integer();
    if (v < 0) throw ConfigError(what + ": must not be negative");
    c.seed = static_cast<std::uint64_t>(v);
  } else if (key == "organizations") {
    c.organizations = checked_count(integer(), 10000, what);
  } else if (key == "repositories") {
    c.repositories = checked_count(integer(), 100000, what);
  } else if (key == "jobs") {
    c.jobs = checked_count(integer(), 1000000, what);
  } else if (key == "data") {
    c.data = std::string(text);
  } else if (key == "token_lifetime") {
    c.token_lifetime_ms = checked_duration(text, what);
    if (c.token_lifetime_ms <= 0) throw ConfigError(what + ": must be positive");
  } else if (key == "churn_interval") {
    c.churn_interval_ms = checked_duration(text, what);
  } else if (key == "token_size") {
    c.token_size = checked_count(integer(), 65536, what);
    if (c.token_size < 16) throw ConfigError(what + ": must be at least 16");
  } else if (key == "region") {
    if (text.empty()) throw ConfigError(what + ": must not be empty");
    c.region = std::string(text);
  } else if (key == "project_id") {
    if (text.empty()) throw ConfigError(what + ": must not be empty");
    c.project_id = std::string(text);
  } else if (key == "issued_secrets_dir") {
    c.issued_secrets_dir = std::string(text);
  } else {
    throw ConfigError(what + ": unknown setting");
  }
}

// ---- TOML ----

std::string where(std::string_view source, const toml::source_region& region) {
  std::ostringstream out;
  out << source << ':' << region.begin.line << ':' << region.begin.column;
  return out.str();
}

struct TomlReader {
  std::string_view source;

  std::string at(const toml::node& node, std::string_view key) const {
    return where(source, node.source()) + ": " + std::string(key);
  }
  std::string string(const toml::node& node, std::string_view key) const {
    if (auto v = node.value_exact<std::string>()) return *v;
    throw ConfigError(at(node, key) + " must be a string");
  }
  std::int64_t integer(const toml::node& node, std::string_view key) const {
    if (auto v = node.value_exact<std::int64_t>()) return *v;
    throw ConfigError(at(node, key) + " must be an integer");
  }
  bool boolean(const toml::node& node, std::string_view key) const {
    if (auto v = node.value_exact<bool>()) return *v;
    throw ConfigError(at(node, key) + " must be true or false");
  }
};

void apply_credentials(const toml::table& table, const TomlReader& r, Credentials& creds) {
  for (auto&& [k, node] : table) {
    const std::string key = "credentials." + std::string(k.str());
    std::string value = r.string(node, key);
    if (k.str() == "access_key") {
      creds.access_key = std::move(value);
    } else if (k.str() == "secret_key") {
      creds.secret_key = std::move(value);
    } else if (k.str() == "domain_name") {
      creds.domain_name = std::move(value);
    } else if (k.str() == "user_name") {
      creds.user_name = std::move(value);
    } else if (k.str() == "password") {
      creds.password = std::move(value);
    } else {
      throw ConfigError(r.at(node, key) + ": unknown key");
    }
    if (creds.access_key.empty() || creds.secret_key.empty()) {
      throw ConfigError(r.at(node, key) + " must not be empty");
    }
  }
}

// Every fault key is accepted on every kind (and checked), so one commented template can list
// them all; a key only acts on its own kind (retry_after: throttle, delay: slow, ...).
bool is_fault_key(std::string_view key) {
  for (const std::string_view k : {"organization", "repository", "kind", "count", "retry_after",
                                   "delay", "after", "mode", "bytes"}) {
    if (k == key) return true;
  }
  return false;
}

FaultSpec read_fault(const toml::table& table, std::size_t index, const TomlReader& r) {
  const std::string prefix = "faults[" + std::to_string(index) + "].";
  FaultSpec f;
  const toml::node* kind_node = table.get("kind");
  if (!kind_node)
    throw ConfigError(where(r.source, table.source()) + ": " + prefix + "kind missing");
  const std::string kind_text = r.string(*kind_node, prefix + "kind");
  const auto kind = parse_fault_kind(kind_text);
  if (!kind) {
    throw ConfigError(r.at(*kind_node, prefix + "kind") + ": unknown fault kind " +
                      quoted(kind_text) +
                      " (server_error, bad_gateway, throttle, slow, malformed_json, "
                      "lying_content_range, token_expiry, not_found, truncated_body, huge_body)");
  }
  f.kind = *kind;
  bool have_org = false, have_repo = false;
  for (auto&& [k, node] : table) {
    const std::string_view key = k.str();
    const std::string name = prefix + std::string(key);
    if (!is_fault_key(key)) throw ConfigError(r.at(node, name) + ": unknown key");
    if (key == "organization") {
      f.organization = r.string(node, name);
      have_org = !f.organization.empty();
    } else if (key == "repository") {
      f.repository = r.string(node, name);
      have_repo = !f.repository.empty();
    } else if (key == "count") {
      f.count = r.integer(node, name);
      if (f.count < 0) throw ConfigError(r.at(node, name) + " must not be negative");
    } else if (key == "retry_after") {
      f.retry_after_ms = checked_duration(r.string(node, name), r.at(node, name));
    } else if (key == "delay") {
      f.delay_ms = checked_duration(r.string(node, name), r.at(node, name));
    } else if (key == "after") {
      f.after = r.integer(node, name);
      if (f.after < 0) throw ConfigError(r.at(node, name) + " must not be negative");
    } else if (key == "mode" && f.kind == FaultKind::kTruncatedBody) {
      const std::string text = r.string(node, name);
      const auto truncation = parse_truncation(text);
      if (!truncation) {
        throw ConfigError(r.at(node, name) + ": unknown mode " + quoted(text) +
                          " (short_read, cut_json)");
      }
      f.truncation = *truncation;
    } else if (key == "mode") {
      const std::string text = r.string(node, name);
      const auto mode = parse_range_lie(text);
      if (!mode) {
        throw ConfigError(r.at(node, name) + ": unknown mode " + quoted(text) +
                          " (total_too_small, total_too_large, garbage, missing)");
      }
      f.mode = *mode;
    } else if (key == "bytes") {
      f.bytes = r.integer(node, name);
      if (f.bytes < 2 || f.bytes > kMaxHugeBodyBytes) {
        throw ConfigError(r.at(node, name) + " must be 2.." + std::to_string(kMaxHugeBodyBytes));
      }
    }
  }
  if (!have_org || !have_repo) {
    throw ConfigError(where(r.source, table.source()) + ": " + prefix +
                      "organization and repository are required");
  }
  return f;
}

std::string read_file(const std::string& path, const std::string& what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(what + ": cannot read " + quoted(path));
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace

std::string_view to_string(FaultKind kind) {
  switch (kind) {
    case FaultKind::kServerError:
      return "server_error";
    case FaultKind::kBadGateway:
      return "bad_gateway";
    case FaultKind::kThrottle:
      return "throttle";
    case FaultKind::kSlow:
      return "slow";
    case FaultKind::kMalformedJson:
      return "malformed_json";
    case FaultKind::kLyingContentRange:
      return "lying_content_range";
    case FaultKind::kTokenExpiry:
      return "token_expiry";
    case FaultKind::kNotFound:
      return "not_found";
    case FaultKind::kTruncatedBody:
      return "truncated_body";
    case FaultKind::kHugeBody:
      return "huge_body";
  }
  return "unknown";
}

std::optional<FaultKind> parse_fault_kind(std::string_view text) {
  for (const FaultKind k :
       {FaultKind::kServerError, FaultKind::kBadGateway, FaultKind::kThrottle, FaultKind::kSlow,
        FaultKind::kMalformedJson, FaultKind::kLyingContentRange, FaultKind::kTokenExpiry,
        FaultKind::kNotFound, FaultKind::kTruncatedBody, FaultKind::kHugeBody}) {
    if (to_string(k) == text) return k;
  }
  return std::nullopt;
}

std::optional<RangeLie> parse_range_lie(std::string_view text) {
  if (text == "total_too_small") return RangeLie::kTotalTooSmall;
  if (text == "total_too_large") return RangeLie::kTotalTooLarge;
  if (text == "garbage") return RangeLie::kGarbage;
  if (text == "missing") return RangeLie::kMissing;
  return std::nullopt;
}

std::optional<Truncation> parse_truncation(std::string_view text) {
  if (text == "short_read") return Truncation::kShortRead;
  if (text == "cut_json") return Truncation::kCutJson;
  return std::nullopt;
}

std::optional<std::int64_t> parse_duration_ms(std::string_view text) {
  if (text == "0") return 0;
  if (text.empty()) return std::nullopt;
  std::int64_t total = 0;
  while (!text.empty()) {
    std::size_t digits = 0;
    while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
    if (digits == 0 || digits > 12) return std::nullopt;
    const std::int64_t number = *parse_int(text.substr(0, digits));
    text.remove_prefix(digits);
    std::int64_t unit = 0;
    if (text.starts_with("ms")) {
      unit = 1;
      text.remove_prefix(2);
    } else if (text.starts_with("s")) {
      unit = 1000;
      text.remove_prefix(1);
    } else if (text.starts_with("m")) {
      unit = 60 * 1000;
      text.remove_prefix(1);
    } else if (text.starts_with("h")) {
      unit = 3600 * 1000;
      text.remove_prefix(1);
    } else {
      return std::nullopt;
    }
    total += number * unit;
    if (total > kMaxDurationMs) return std::nullopt;
  }
  return total;
}

void apply_toml(std::string_view text, std::string_view source, SimConfig& config) {
  toml::table root;
  try {
    root = toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    throw ConfigError(where(source, e.source()) + ": " + std::string(e.description()));
  }
  const TomlReader r{source};
  for (auto&& [k, node] : root) {
    const std::string key(k.str());
    if (key == "legacy_error_bodies") {
      config.legacy_error_bodies = r.boolean(node, key);
    } else if (key == "verbose") {
      config.verbose = r.boolean(node, key);
    } else if (key == "seed" || key == "organizations" || key == "repositories" || key == "jobs" ||
               key == "token_size") {
      set_scalar(key, std::to_string(r.integer(node, key)), r.at(node, key), config);
    } else if (key == "credentials") {
      const toml::table* table = node.as_table();
      if (!table) throw ConfigError(r.at(node, key) + " must be a table");
      apply_credentials(*table, r, config.credentials);
    } else if (key == "faults") {
      const toml::array* array = node.as_array();
      if (!array) throw ConfigError(r.at(node, key) + " must be an array of tables ([[faults]])");
      for (std::size_t i = 0; i < array->size(); ++i) {
        const toml::table* table = (*array)[i].as_table();
        if (!table) throw ConfigError(r.at((*array)[i], key) + " entries must be tables");
        config.faults.push_back(read_fault(*table, i, r));
      }
    } else if (key == "listen" || key == "data" || key == "token_lifetime" ||
               key == "churn_interval" || key == "region" || key == "project_id" ||
               key == "issued_secrets_dir") {
      set_scalar(key, r.string(node, key), r.at(node, key), config);
    } else {
      throw ConfigError(r.at(node, key) + ": unknown key");
    }
  }
}

CommandLine parse_command_line(int argc, const char* const* argv) {
  struct Flag {
    std::string name;
    std::string value;
    bool has_value;
  };
  std::vector<Flag> flags;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (!arg.starts_with("--") || arg.size() == 2) {
      throw ConfigError("unexpected argument " + quoted(arg) + " (see --help)");
    }
    arg.remove_prefix(2);
    const std::size_t eq = arg.find('=');
    if (eq != std::string_view::npos) {
      flags.push_back({std::string(arg.substr(0, eq)), std::string(arg.substr(eq + 1)), true});
      continue;
    }
    Flag flag{std::string(arg), "", false};
    if (flag.name != "verbose" && flag.name != "help" && i + 1 < argc) {
      flag.value = argv[++i];
      flag.has_value = true;
    }
    flags.push_back(std::move(flag));
  }

  CommandLine out;
  for (const Flag& flag : flags) {
    if (flag.name == "help") out.help = true;
  }
  if (out.help) return out;
  for (const Flag& flag : flags) {
    if (flag.name != "config") continue;
    if (!flag.has_value || flag.value.empty()) throw ConfigError("--config: missing file name");
    apply_toml(read_file(flag.value, "--config"), flag.value, out.config);
  }
  for (const Flag& flag : flags) {
    const std::string what = "--" + flag.name;
    if (flag.name == "config") continue;
    if (flag.name == "verbose") {
      if (flag.has_value) throw ConfigError(what + ": takes no value");
      out.config.verbose = true;
      continue;
    }
    std::string key = flag.name;
    for (char& c : key) {
      if (c == '-') c = '_';
    }
    static constexpr std::string_view kFlagKeys[] = {
        "listen",         "seed",       "organizations", "repositories",
        "jobs",           "data",       "region",        "token_lifetime",
        "churn_interval", "project_id", "token_size",    "issued_secrets_dir"};
    bool known = false;
    for (const std::string_view k : kFlagKeys) known = known || k == key;
    if (!known || flag.name.find('_') != std::string::npos) {
      throw ConfigError(what + ": unknown flag (see --help)");
    }
    if (!flag.has_value) throw ConfigError(what + ": missing value");
    set_scalar(key, flag.value, what, out.config);
  }
  return out;
}

std::string usage() {
  return R"(usage: swr-sim [flags]

Simulates Huawei Cloud SWR (sync jobs, organizations, repositories) and IAM tokens.

  --config FILE.toml       settings file (flags override it)
  --listen HOST:PORT       default 127.0.0.1:0 (any free port)
  --seed N                 seed of the generated world (default 42)
  --organizations N        generated organizations (default 2)
  --repositories N         repositories per organization (default 5)
  --jobs N                 jobs per repository (default 40)
  --data FILE.json         explicit world instead of the generated one
  --token-lifetime DUR     IAM token lifetime (default 24h)
  --churn-interval DUR     move and add jobs on this period (default 0s = static)
  --token-size N           length of issued tokens (default 8000)
  --region NAME            default cn-north-4
  --project-id ID          project id of the region
  --verbose                log every request (method, path, status, duration) to stderr
  --issued-secrets-dir DIR append every secret it holds or issues (keys, password, tokens) to
                           DIR/swr-sim-PID.secrets, one per line, for tests that search logs
                           for them (default: $SWR_TEST_LOG_DIR/issued-secrets when that is set)

Durations: 500ms, 30s, 5m, 24h. Prints `swr-sim listening on http://HOST:PORT` once bound.

Controls under /_sim/ (JSON bodies): POST /_sim/jobs, /_sim/push, /_sim/delete-repository,
/_sim/churn, /_sim/revoke-tokens, /_sim/unlock-keys, /_sim/reset-stats; GET /_sim/stats;
POST /_sim/outage {"seconds": N, "kind": K} (GET /_sim/outage for its state), K one of
  refuse           the port closes for N seconds (connections refused, open ones cut)
  503              every API call (SWR, IAM, metadata) answered 503
  credentials      every SWR call answered 401 APIGW.0301 (the credentials refused); IAM and
                   the metadata service answer as usual
  iam_credentials  every IAM token request (/v3/auth/tokens) answered 401; SWR as usual
)";
}

}  // namespace swr::sim
