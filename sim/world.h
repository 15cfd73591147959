// The simulated cloud's data: organizations, repositories, their sync rules and sync jobs, and how
// they change over time. Every public method of World is thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "model/sync_job.h"

namespace swr::sim {

// Who the jobs say ran them: the account and user of the simulated credentials.
struct Identity {
  std::string domain_id;
  std::string domain_name;
  std::string user_id;
  std::string user_name;
};

// A sync job as the API sends it. Strings are kept as they will be written, so a data file can
// carry odd timestamps and statuses outside the documented seven.
struct SimJob {
  std::int64_t id = 0;
  std::int64_t created_us = 0;  // for ordering; 0 when created_at does not parse
  std::string created_at;
  std::string updated_at;
  std::string organization;  // `namespace`
  std::string repository;    // `repoName`, with `/`
  std::string tag;
  std::string remote_region;
  std::string remote_organization;
  std::string status;
  bool override_image = false;
  std::string domain_id;
  std::string domain_name;
  std::string operator_id;
  std::string operator_name;
};

// One auto-sync rule (sync_repo).
struct SyncRule {
  std::string remote_region;
  std::string remote_organization;
  bool sync_auto = true;
  bool override_image = false;
  std::string created_at;
  std::string updated_at;
};

struct Destination {
  std::string region;
  std::string organization;
};

// ListReposDetails' `category`; every repository has one, `other` unless a data file says.
bool is_repository_category(std::string_view text);

struct SimRepository {
  std::int64_t id = 0;  // in the repository listing; stays when other repositories come and go
  std::int64_t created_us = 0;
  std::string category = "other";
  // The listing entry, which only pushes move: the pushed tags (distinct, in push order; their
  // count is `num_images`) and the time of the last push (or of creation). Sync jobs, manual
  // ones or status changes, never touch it.
  std::vector<std::string> tags;
  std::int64_t updated_us = 0;
  std::vector<SyncRule> rules;
  std::vector<Destination> destinations;  // where its jobs go (rules or manual syncs)
  std::vector<SimJob> jobs;               // ascending by (created_us, id)
};

struct WorldData {
  std::map<std::string, std::int64_t> organizations;  // name -> id
  std::map<RepositoryRef, SimRepository> repositories;
  std::int64_t next_job_id = 1;
  std::int64_t next_repository_id = 500000;
};

struct GenerationParams {
  std::uint64_t seed = 42;
  std::int64_t organizations = 2;
  std::int64_t repositories = 5;  // per organization
  std::int64_t jobs = 40;         // per repository
  bool churning = false;          // also generate a few waiting and running jobs
};

class WorldError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Deterministic for a seed (apart from being placed relative to `now_us`). Both worlds start
// with each repository's listing as its jobs' pushes left it: their tags, and updated_at at the
// newest job's creation (the repository's own when it has none).
WorldData generate_world(const GenerationParams& params, const Identity& identity,
                         std::int64_t now_us);
// The data-file world; throws WorldError naming the offending element.
WorldData parse_world_json(std::string_view text, const Identity& identity, std::int64_t now_us);

enum class Lookup { kFound, kNoOrganization, kNoRepository };

struct JobPage {
  Lookup lookup = Lookup::kFound;
  std::vector<SimJob> jobs;
  std::size_t total = 0;
};

// One entry of the repository listing.
struct RepositorySummary {
  std::int64_t id = 0;
  std::string organization;
  std::string name;
  std::string category;
  std::string created_at;
  std::string updated_at;
  std::vector<std::string> tags;  // distinct, in push order; num_images is their count
};

// ListReposDetails' `order_column`; without one, by organization, then name.
enum class RepositoryOrder { kOrganizationThenName, kName, kUpdatedTime, kTagCount };

struct RepositoryQuery {
  std::string organization_contains;  // fuzzy, as SWR's namespace condition
  std::string name_contains;
  std::string category;  // empty: any
  RepositoryOrder order = RepositoryOrder::kOrganizationThenName;
  bool descending = false;  // of the order column; ties go by organization, then name
  std::size_t offset = 0;
  std::size_t limit = 100;
};

struct RepositoryPage {
  std::vector<RepositorySummary> items;
  std::size_t total = 0;  // repositories under the query's conditions
};

// Where the jobs appended through the admin endpoint come from.
enum class SyncTrigger {
  kPush,    // an automatic sync: each job's tag is pushed first, so the listing moves
  kManual,  // CreateManualImageSyncRepo: jobs only, the listing stays as it is
};

// A job appended through the admin endpoint.
struct NewJob {
  std::string tag = "latest";
  std::string status = "success";
  std::string remote_region;        // default: the repository's first destination
  std::string remote_organization;  // default: same
  double duration_seconds = 0;
  bool override_image = false;
};

class World {
 public:
  World(WorldData data, Identity identity);

  JobPage page(const RepositoryRef& ref, std::size_t offset, std::size_t limit,
               bool descending) const;
  Lookup lookup(const RepositoryRef& ref) const;
  std::optional<std::vector<SyncRule>> rules(const RepositoryRef& ref) const;
  std::vector<std::pair<std::string, std::int64_t>> organizations() const;
  // One page of the listing and the total under the query's conditions. The work grows with the
  // page and with the names the conditions make it read, never with jobs: only the page's
  // repositories are copied.
  RepositoryPage list_repositories(const RepositoryQuery& query) const;
  std::optional<RepositorySummary> repository(const RepositoryRef& ref) const;
  std::size_t repository_count() const;
  std::size_t job_count() const;

  // Appends with fresh ids (createdAt = now - duration, updatedAt = now). kPush creates the
  // organization and repository when missing; kManual answers nullopt for a missing repository.
  std::optional<std::vector<std::int64_t>> append(const RepositoryRef& ref,
                                                  const std::vector<NewJob>& jobs,
                                                  std::int64_t now_us,
                                                  SyncTrigger trigger = SyncTrigger::kPush);
  // A push that starts no sync job (a repository without auto-sync rules, say); creates the
  // organization and repository when missing.
  void push(const RepositoryRef& ref, const std::string& tag, std::int64_t now_us);
  bool remove(const RepositoryRef& ref);
  // One churn period: waiting jobs start, running ones finish (neither moves the listing), new
  // ones arrive, each with the push of a new tag.
  void churn(std::mt19937_64& rng, std::int64_t now_us);

 private:
  using Entry = std::map<RepositoryRef, SimRepository>::value_type;

  SimRepository& ensure_repository(const RepositoryRef& ref, std::int64_t now_us);
  SimJob make_job(const RepositoryRef& ref) const;
  RepositorySummary summary(const Entry& entry) const;

  mutable std::mutex mutex_;
  WorldData data_;
  // Every repository, by organization and then name: a page of the listing is a slice of it.
  std::vector<const Entry*> index_;
  Identity identity_;
};

}  // namespace swr::sim
