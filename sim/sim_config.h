// The simulator's settings: command-line flags over an optional TOML file.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace swr::sim {

// A bad flag, key or value; the message names it. The executable exits with status 2.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class FaultKind {
  kServerError,
  kBadGateway,
  kThrottle,
  kSlow,
  kMalformedJson,
  kLyingContentRange,
  kTokenExpiry,
  kNotFound,
  kTruncatedBody,
  kHugeBody,
};

// How a lying_content_range fault corrupts the header.
enum class RangeLie { kTotalTooSmall, kTotalTooLarge, kGarbage, kMissing };

// How a truncated_body fault cuts the answer. short_read: the Content-Length of the whole body,
// half of it, then the connection closes. cut_json: a complete answer whose body stops mid-JSON.
enum class Truncation { kShortRead, kCutJson };

std::string_view to_string(FaultKind kind);
std::optional<FaultKind> parse_fault_kind(std::string_view text);
std::optional<RangeLie> parse_range_lie(std::string_view text);
std::optional<Truncation> parse_truncation(std::string_view text);

// One [[faults]] entry: what goes wrong on one repository's sync_job calls.
struct FaultSpec {
  std::string organization;
  std::string repository;  // with `/`, as users write it
  FaultKind kind = FaultKind::kServerError;
  // Requests it hits before the repository answers normally again; 0 = every one. For
  // token_expiry: how many times the tokens are expired.
  std::int64_t count = 0;
  std::int64_t retry_after_ms = 1000;  // throttle
  std::int64_t delay_ms = 2000;        // slow
  std::int64_t after = 1;              // token_expiry: requests that pass before the tokens die
  RangeLie mode = RangeLie::kTotalTooSmall;        // lying_content_range
  Truncation truncation = Truncation::kShortRead;  // truncated_body, from the key `mode`
  std::int64_t bytes = 50LL * 1024 * 1024;         // huge_body: size of the streamed body
};

struct Credentials {
  std::string access_key = "SIMACCESSKEY0000";
  std::string secret_key = "sim-secret-key";
  std::string domain_name = "sim-domain";
  std::string user_name = "sim-user";
  std::string password = "sim-password";
};

struct SimConfig {
  std::string listen_host = "127.0.0.1";
  int listen_port = 0;
  std::uint64_t seed = 42;
  std::int64_t organizations = 2;
  std::int64_t repositories = 5;  // per organization
  std::int64_t jobs = 40;         // per repository
  std::string data;               // JSON world file; empty = generate
  std::int64_t token_lifetime_ms = 24LL * 3600 * 1000;
  std::int64_t churn_interval_ms = 0;  // 0 = static world
  // Length of the issued tokens. Real ones are about 9 KB, but cpp-httplib 0.11.4 rejects any
  // header line over 8192 bytes (on both server and client), so the default stays below that.
  std::int64_t token_size = 8000;
  std::string region = "cn-north-4";
  std::string project_id = "0b5c1f0e3d0e4f3c9d6c8e2a7b1f4e5d";
  bool legacy_error_bodies = false;
  bool verbose = false;
  // Where every secret the simulator holds or hands out (its secret key and password, IAM
  // tokens, metadata session tokens, temporary secret keys and security tokens) is appended, one
  // per line, so a test can search logs for exactly those strings. Empty: recorded nowhere.
  std::string issued_secrets_dir;
  Credentials credentials;
  std::vector<FaultSpec> faults;
};

// `500ms`, `30s`, `5m`, `24h`, also combined (`1h30m`); a bare `0` is zero.
std::optional<std::int64_t> parse_duration_ms(std::string_view text);

// Applies a TOML document over `config`. `source` names the file in errors (`file:line:col: ...`).
void apply_toml(std::string_view text, std::string_view source, SimConfig& config);

struct CommandLine {
  SimConfig config;
  bool help = false;
};
// Reads `--config` first, then every other flag over it.
CommandLine parse_command_line(int argc, const char* const* argv);
std::string usage();

}  // namespace swr::sim
