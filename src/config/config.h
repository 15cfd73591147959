// The exporter's configuration, as read from TOML and validated. Plain values only.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace swr::config {

enum class AuthMethod { kAkSk, kPassword, kToken, kMetadata };

struct HuaweiCloud {
  std::string region;
  std::string swr_endpoint;  // resolved: never empty after loading
  std::string iam_endpoint;  // resolved: never empty after loading
  std::string project_id;
  std::string ca_file;
};

// Secrets are resolved at load time from the inline value, the *_file or the environment; the
// Config keeps where each came from so errors and logs can name the source, never the value.
struct Secret {
  std::string value;
  std::string source;  // e.g. "auth.secret_key_file /run/secrets/sk" or "env HUAWEICLOUD_SDK_SK"
};

struct Auth {
  AuthMethod method = AuthMethod::kAkSk;
  // aksk
  Secret access_key;
  Secret secret_key;
  // password
  std::string domain_name;
  std::string user_name;
  Secret password;
  std::string project_name;  // defaults to the region
  // token
  std::string token_file;
  // metadata: temporary AK/SK and security token from the cloud's metadata service
  std::string metadata_endpoint = "http://169.254.169.254";
};

struct Scrape {
  std::chrono::milliseconds interval{60'000};
  std::chrono::milliseconds timeout{10'000};
  int page_size = 100;
  int concurrency = 4;
  // Shared by all workers; halves itself on throttling and climbs back. Huawei publishes no SWR
  // limit, so the default is cautious.
  double max_requests_per_second = 10;
  // A full read of every repository at least this often, whatever incremental polling skips.
  std::chrono::milliseconds full_resync_interval{3'600'000};
  // A repository whose listing entry (updated_at, tags, num_images) has not moved, with nothing
  // pending and no failed read, is still read at least this often: manual syncs do not move the
  // listing. 0: every repository is read every cycle.
  std::chrono::milliseconds recheck_interval{900'000};
};

struct Metrics {
  std::vector<double> duration_buckets{1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200};
  // Subset of organization, repository, target_region, target_organization, status.
  std::vector<std::string> duration_labels{"organization", "target_region", "status"};
  // The families not served, resolved from `enabled` or `disabled` (globs expanded), in the order
  // of kMetricFamilies (model/metric_families.h). Empty: every family.
  std::vector<std::string> disabled_families;
};

struct Target {
  std::string organization;
  std::vector<std::string> repositories;  // with `/`, as users write them; empty: discover all
};

struct Discovery {
  // ECMAScript regular expressions matched against the whole of `organization/repository`; they
  // filter discovered repositories (those of targets without `repositories`, or of every
  // organization when there are no targets), never the ones listed by name.
  std::string include;
  std::string exclude;
  std::chrono::milliseconds interval{600'000};
  bool only_with_sync_rules = false;  // skip repositories that have no auto-sync rule
};

struct Sharding {
  int shard = 0;
  int total_shards = 1;
};

struct Config {
  std::string path;  // the file it was read from
  HuaweiCloud huaweicloud;
  Auth auth;
  Scrape scrape;
  Metrics metrics;
  Discovery discovery;
  Sharding sharding;
  std::vector<Target> targets;  // none: every organization the credentials can see
};

}  // namespace swr::config
