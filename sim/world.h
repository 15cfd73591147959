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

struct SimRepository {
  std::int64_t created_us = 0;
  std::vector<SyncRule> rules;
  std::vector<Destination> destinations;  // where its jobs go (rules or manual syncs)
  std::vector<SimJob> jobs;               // ascending by (created_us, id)
};

struct WorldData {
  std::map<std::string, std::int64_t> organizations;  // name -> id
  std::map<RepositoryRef, SimRepository> repositories;
  std::int64_t next_job_id = 1;
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

// Deterministic for a seed (apart from being placed relative to `now_us`).
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

struct RepositorySummary {
  std::string organization;
  std::string name;
  std::string created_at;
  std::string updated_at;
  std::vector<std::string> tags;  // distinct, in order of first sync
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
  std::vector<RepositorySummary> repositories() const;  // sorted by organization, then name
  std::size_t job_count() const;

  // Appends with fresh ids (createdAt = now - duration, updatedAt = now), creating the
  // organization and repository when missing.
  std::vector<std::int64_t> append(const RepositoryRef& ref, const std::vector<NewJob>& jobs,
                                   std::int64_t now_us);
  bool remove(const RepositoryRef& ref);
  // One churn period: waiting jobs start, running ones finish, new ones arrive.
  void churn(std::mt19937_64& rng, std::int64_t now_us);

 private:
  SimRepository& ensure_repository(const RepositoryRef& ref, std::int64_t now_us);
  SimJob make_job(const RepositoryRef& ref) const;

  mutable std::mutex mutex_;
  WorldData data_;
  Identity identity_;
};

}  // namespace swr::sim
