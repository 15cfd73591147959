#include "world.h"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <algorithm>
#include <cmath>
#include <unordered_set>

#include "model/hex.h"
#include "model/timestamp.h"

namespace swr::sim {

namespace {

constexpr std::int64_t kSecondUs = 1000000;
constexpr std::int64_t kMinuteUs = 60 * kSecondUs;
constexpr std::int64_t kHourUs = 60 * kMinuteUs;
constexpr std::int64_t kDayUs = 24 * kHourUs;

constexpr std::string_view kOrganizationNames[] = {"team-a", "platform",  "payments",  "data-eng",
                                                   "mobile", "infra",     "search",    "security",
                                                   "web",    "analytics", "ml-serving"};
constexpr std::string_view kRepositoryNames[] = {
    "app1",         "tools/builder",    "api-gateway", "base/alpine", "web-frontend",
    "auth-service", "billing/invoices", "worker",      "nginx-proxy", "charts/ingress",
    "redis-cache",  "ci/runner",        "docs-site",   "batch/etl",   "notifier"};
constexpr std::string_view kRegions[] = {"cn-east-3",      "cn-south-1", "ap-southeast-1",
                                         "ap-southeast-3", "af-south-1", "la-south-2",
                                         "cn-north-9",     "tr-west-1"};

// Our own draws instead of <random> distributions, whose output differs between standard
// libraries: the same seed gives the same world everywhere.
struct Draw {
  std::mt19937_64& rng;
  std::int64_t below(std::int64_t n) {
    return n <= 0 ? 0 : static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(n));
  }
  std::int64_t between(std::int64_t lo, std::int64_t hi) { return lo + below(hi - lo + 1); }
  double unit() { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }
  bool chance(double p) { return unit() < p; }
};

std::string hex(Draw& draw, std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i)
    out.push_back(hex_digit(static_cast<unsigned>(draw.below(16))));
  return out;
}

// Mostly seconds to minutes, with a long tail to hours.
std::int64_t draw_duration_us(Draw& draw) {
  const double p = draw.unit();
  if (p < 0.70) return draw.between(2 * kSecondUs, 60 * kSecondUs);
  if (p < 0.90) return draw.between(kMinuteUs, 10 * kMinuteUs);
  if (p < 0.98) return draw.between(10 * kMinuteUs, kHourUs);
  return draw.between(kHourUs, 6 * kHourUs);
}

std::string draw_final_status(Draw& draw) {
  const double p = draw.unit();
  if (p < 0.85) return "success";
  if (p < 0.91) return "failed";
  if (p < 0.94) return "timeout";
  if (p < 0.98) return "existed";
  return "cancel";
}

// Tags as CI pipelines push them: semantic versions, commit shas, latest, branch builds.
struct TagMaker {
  int major = 1, minor = 0, patch = 0, build = 100;
  std::string next(Draw& draw) {
    const std::int64_t kind = draw.below(10);
    if (kind < 6) {
      if (draw.chance(0.2)) {
        ++minor;
        patch = 0;
      } else {
        ++patch;
      }
      return "v" + std::to_string(major) + "." + std::to_string(minor) + "." +
             std::to_string(patch);
    }
    if (kind < 8) return "sha-" + hex(draw, 7);
    if (kind < 9) return "latest";
    return "main-" + std::to_string(build++);
  }
};

std::string organization_name(std::int64_t i) {
  constexpr auto n = static_cast<std::int64_t>(std::size(kOrganizationNames));
  if (i < n) return std::string(kOrganizationNames[i]);
  return "org-" + std::to_string(i + 1);
}

std::string repository_name(std::int64_t org, std::int64_t i) {
  constexpr auto n = static_cast<std::int64_t>(std::size(kRepositoryNames));
  if (i < n) return std::string(kRepositoryNames[(i + org) % n]);
  return "service-" + std::to_string(i + 1);
}

bool job_order(const SimJob& a, const SimJob& b) {
  return a.created_us != b.created_us ? a.created_us < b.created_us : a.id < b.id;
}

// A push: the tag joins the listing unless it is there already, and updated_at moves.
void push_tag(SimRepository& repo, const std::string& tag, std::int64_t now_us) {
  if (std::find(repo.tags.begin(), repo.tags.end(), tag) == repo.tags.end()) {
    repo.tags.push_back(tag);
  }
  repo.updated_us = now_us;
}

// Ids in listing order, and each listing as the pushes behind the repository's jobs left it.
void derive_listings(WorldData& world) {
  for (auto& [ref, repo] : world.repositories) {
    repo.id = world.next_repository_id++;
    repo.tags.clear();
    std::unordered_set<std::string_view> seen;
    for (const SimJob& job : repo.jobs) {
      if (seen.insert(job.tag).second) repo.tags.push_back(job.tag);
    }
    // Jobs are in creation order; those whose createdAt does not parse (0) come first.
    repo.updated_us = repo.jobs.empty() || repo.jobs.back().created_us == 0
                          ? repo.created_us
                          : repo.jobs.back().created_us;
    // A data file's jobs may be older than the default creation time.
    repo.created_us = std::min(repo.created_us, repo.updated_us);
  }
}

using Entry = std::map<RepositoryRef, SimRepository>::value_type;

bool by_key(const Entry* a, const Entry* b) { return a->first < b->first; }

struct ByOrganization {
  bool operator()(const Entry* e, std::string_view organization) const {
    return e->first.organization < organization;
  }
  bool operator()(std::string_view organization, const Entry* e) const {
    return organization < e->first.organization;
  }
};

// The order of a listing page: the order column, then organization and name for ties.
struct ListingOrder {
  RepositoryOrder order;
  bool descending;

  static int sign(auto a, auto b) { return a < b ? -1 : b < a ? 1 : 0; }
  int column(const Entry* a, const Entry* b) const {
    switch (order) {
      case RepositoryOrder::kOrganizationThenName:
        return sign(a->first, b->first);
      case RepositoryOrder::kName:
        return a->first.repository.compare(b->first.repository);
      case RepositoryOrder::kUpdatedTime:
        return sign(a->second.updated_us, b->second.updated_us);
      case RepositoryOrder::kTagCount:
        return sign(a->second.tags.size(), b->second.tags.size());
    }
    return 0;
  }
  bool operator()(const Entry* a, const Entry* b) const {
    const int c = column(a, b);
    if (c != 0) return descending ? c > 0 : c < 0;
    return a->first < b->first;
  }
};

// ---- data file ----

using JsonValue = rapidjson::Value;

struct JsonReader {
  const JsonValue& object(const JsonValue& v, const std::string& where) const {
    if (!v.IsObject()) throw WorldError(where + " must be an object");
    return v;
  }
  const JsonValue* member(const JsonValue& obj, const char* key) const {
    const auto it = obj.FindMember(key);
    return it == obj.MemberEnd() ? nullptr : &it->value;
  }
  std::string string(const JsonValue& obj, const char* key, const std::string& where,
                     std::string fallback) const {
    const JsonValue* v = member(obj, key);
    if (!v) return fallback;
    if (!v->IsString()) throw WorldError(where + "." + key + " must be a string");
    return std::string(v->GetString(), v->GetStringLength());
  }
  std::string required_string(const JsonValue& obj, const char* key,
                              const std::string& where) const {
    if (!member(obj, key)) throw WorldError(where + "." + key + " is required");
    std::string s = string(obj, key, where, "");
    if (s.empty()) throw WorldError(where + "." + key + " must not be empty");
    return s;
  }
  bool boolean(const JsonValue& obj, const char* key, const std::string& where,
               bool fallback) const {
    const JsonValue* v = member(obj, key);
    if (!v) return fallback;
    if (!v->IsBool()) throw WorldError(where + "." + key + " must be true or false");
    return v->GetBool();
  }
  const JsonValue* array(const JsonValue& obj, const char* key, const std::string& where) const {
    const JsonValue* v = member(obj, key);
    if (v && !v->IsArray()) throw WorldError(where + "." + key + " must be an array");
    return v;
  }
};

void check_keys(const JsonValue& obj, std::initializer_list<std::string_view> allowed,
                const std::string& where) {
  for (auto it = obj.MemberBegin(); it != obj.MemberEnd(); ++it) {
    const std::string_view key(it->name.GetString(), it->name.GetStringLength());
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      throw WorldError(where + ": unknown key `" + std::string(key) + "`");
    }
  }
}

}  // namespace

WorldData generate_world(const GenerationParams& params, const Identity& identity,
                         std::int64_t now_us) {
  std::mt19937_64 rng(params.seed);
  Draw draw{rng};
  WorldData world;

  struct Pending {
    RepositoryRef ref;
    std::int64_t created_us, updated_us;
    std::string status;
    std::size_t destination;
  };
  std::vector<Pending> pending;

  for (std::int64_t o = 0; o < params.organizations; ++o) {
    const std::string org = organization_name(o);
    world.organizations.emplace(org, 1048000 + o * 17 + draw.below(17));
    for (std::int64_t r = 0; r < params.repositories; ++r) {
      RepositoryRef ref{org, repository_name(o, r)};
      SimRepository repo;
      repo.created_us = now_us - 3 * kDayUs - draw.between(kHourUs, 60 * kDayUs);
      std::vector<std::string_view> regions(std::begin(kRegions), std::end(kRegions));
      const std::int64_t n_dest = draw.between(1, 3);
      for (std::int64_t d = 0; d < n_dest; ++d) {
        const auto pick = static_cast<std::size_t>(draw.below(std::ssize(regions)));
        const std::string remote = draw.chance(0.5) ? org : org + "-mirror";
        repo.destinations.push_back({std::string(regions[pick]), remote});
        regions.erase(regions.begin() + static_cast<std::ptrdiff_t>(pick));
      }
      if (draw.below(5) != 0) {
        const std::string when = format_timestamp_us(repo.created_us);
        for (const Destination& d : repo.destinations) {
          repo.rules.push_back({d.region, d.organization, true, draw.chance(0.3), when, when});
        }
      }
      for (std::int64_t j = 0; j < params.jobs; ++j) {
        const std::int64_t duration = draw_duration_us(draw);
        std::int64_t created = now_us - draw.between(kMinuteUs, 3 * kDayUs);
        created = std::min(created, now_us - duration - kSecondUs);
        std::string status = draw_final_status(draw);
        std::int64_t updated = created + duration;
        if (params.churning && j < 2 && draw.chance(0.4)) {
          created = now_us - draw.between(5 * kSecondUs, 10 * kMinuteUs);
          status = draw.chance(0.5) ? "waiting" : "running";
          updated = status == "waiting" ? created : draw.between(created, now_us);
        }
        const auto dest = static_cast<std::size_t>(draw.below(std::ssize(repo.destinations)));
        pending.push_back({ref, created, updated, std::move(status), dest});
      }
      world.repositories.emplace(std::move(ref), std::move(repo));
    }
  }

  // Ids grow with creation time across the whole world, with gaps left by other tenants.
  std::stable_sort(pending.begin(), pending.end(),
                   [](const Pending& a, const Pending& b) { return a.created_us < b.created_us; });
  std::int64_t id = 1000;
  for (Pending& p : pending) {
    id += draw.between(1, 3);
    SimRepository& repo = world.repositories.at(p.ref);
    const Destination& dest = repo.destinations[p.destination];
    SimJob job;
    job.id = id;
    job.created_us = p.created_us;
    job.created_at = format_timestamp_us(p.created_us);
    job.updated_at = format_timestamp_us(p.updated_us);
    job.organization = p.ref.organization;
    job.repository = p.ref.repository;
    job.remote_region = dest.region;
    job.remote_organization = dest.organization;
    job.status = std::move(p.status);
    job.override_image = false;
    job.domain_id = identity.domain_id;
    job.domain_name = identity.domain_name;
    job.operator_id = identity.user_id;
    job.operator_name = identity.user_name;
    repo.jobs.push_back(std::move(job));
  }
  world.next_job_id = id + 1;
  for (auto& [ref, repo] : world.repositories) {
    TagMaker tags;
    tags.major = static_cast<int>(draw.between(0, 3));
    tags.minor = static_cast<int>(draw.below(20));
    for (SimJob& job : repo.jobs) job.tag = tags.next(draw);
  }
  derive_listings(world);
  return world;
}

WorldData parse_world_json(std::string_view text, const Identity& identity, std::int64_t now_us) {
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseIterativeFlag>(text.data(), text.size());
  if (doc.HasParseError()) {
    throw WorldError("offset " + std::to_string(doc.GetErrorOffset()) + ": " +
                     rapidjson::GetParseError_En(doc.GetParseError()));
  }
  const JsonReader r;
  r.object(doc, "the document");
  check_keys(doc, {"repositories", "organizations"}, "the document");
  WorldData world;
  std::int64_t max_id = 0;
  std::vector<std::pair<RepositoryRef, SimJob*>> unnumbered;

  auto add_org = [&](const std::string& name) {
    const auto id = 1048000 + static_cast<std::int64_t>(world.organizations.size()) * 17;
    world.organizations.emplace(name, id);
  };
  if (const JsonValue* orgs = r.array(doc, "organizations", "the document")) {
    for (rapidjson::SizeType i = 0; i < orgs->Size(); ++i) {
      const JsonValue& v = (*orgs)[i];
      if (!v.IsString() || v.GetStringLength() == 0) {
        throw WorldError("organizations[" + std::to_string(i) + "] must be a non-empty string");
      }
      add_org(std::string(v.GetString(), v.GetStringLength()));
    }
  }

  const JsonValue* repos = r.array(doc, "repositories", "the document");
  if (!repos) throw WorldError("the document needs a `repositories` array");
  for (rapidjson::SizeType i = 0; i < repos->Size(); ++i) {
    const std::string where = "repositories[" + std::to_string(i) + "]";
    const JsonValue& item = r.object((*repos)[i], where);
    check_keys(item, {"organization", "repository", "category", "destinations", "jobs"}, where);
    RepositoryRef ref{r.required_string(item, "organization", where),
                      r.required_string(item, "repository", where)};
    if (world.repositories.contains(ref)) {
      throw WorldError(where + ": repository " + ref.organization + "/" + ref.repository +
                       " appears twice");
    }
    if (!world.organizations.contains(ref.organization)) add_org(ref.organization);
    SimRepository repo;
    repo.category = r.string(item, "category", where, repo.category);
    if (!is_repository_category(repo.category)) {
      throw WorldError(where + ".category `" + repo.category +
                       "` must be one of app_server, linux, framework_app, database, lang, "
                       "other, windows, arm");
    }
    repo.created_us = now_us - 30 * kDayUs;
    const std::string default_time = format_timestamp_us(repo.created_us);
    if (const JsonValue* dests = r.array(item, "destinations", where)) {
      for (rapidjson::SizeType d = 0; d < dests->Size(); ++d) {
        const std::string dw = where + ".destinations[" + std::to_string(d) + "]";
        const JsonValue& dv = r.object((*dests)[d], dw);
        check_keys(
            dv,
            {"remoteRegionId", "remoteNamespace", "syncAuto", "override", "createdAt", "updatedAt"},
            dw);
        SyncRule rule;
        rule.remote_region = r.required_string(dv, "remoteRegionId", dw);
        rule.remote_organization = r.required_string(dv, "remoteNamespace", dw);
        rule.sync_auto = r.boolean(dv, "syncAuto", dw, true);
        rule.override_image = r.boolean(dv, "override", dw, false);
        rule.created_at = r.string(dv, "createdAt", dw, default_time);
        rule.updated_at = r.string(dv, "updatedAt", dw, rule.created_at);
        repo.destinations.push_back({rule.remote_region, rule.remote_organization});
        repo.rules.push_back(std::move(rule));
      }
    }
    const Destination fallback = repo.destinations.empty()
                                     ? Destination{"cn-east-3", ref.organization}
                                     : repo.destinations.front();
    if (const JsonValue* jobs = r.array(item, "jobs", where)) {
      for (rapidjson::SizeType j = 0; j < jobs->Size(); ++j) {
        const std::string jw = where + ".jobs[" + std::to_string(j) + "]";
        const JsonValue& jv = r.object((*jobs)[j], jw);
        check_keys(jv,
                   {"id", "createdAt", "updatedAt", "namespace", "repoName", "tag",
                    "remoteRegionId", "remoteNamespace", "status", "override", "domainID",
                    "domainName", "syncOperatorId", "syncOperatorName"},
                   jw);
        SimJob job;
        if (const JsonValue* id = r.member(jv, "id")) {
          if (!id->IsInt64()) throw WorldError(jw + ".id must be an integer");
          job.id = id->GetInt64();
          max_id = std::max(max_id, job.id);
        }
        job.created_at = r.string(jv, "createdAt", jw, format_timestamp_us(now_us));
        job.updated_at = r.string(jv, "updatedAt", jw, job.created_at);
        job.created_us = parse_timestamp_us(job.created_at).value_or(0);
        job.organization = r.string(jv, "namespace", jw, ref.organization);
        job.repository = r.string(jv, "repoName", jw, ref.repository);
        job.tag = r.string(jv, "tag", jw, "latest");
        job.remote_region = r.string(jv, "remoteRegionId", jw, fallback.region);
        job.remote_organization = r.string(jv, "remoteNamespace", jw, fallback.organization);
        job.status = r.string(jv, "status", jw, "success");
        job.override_image = r.boolean(jv, "override", jw, false);
        job.domain_id = r.string(jv, "domainID", jw, identity.domain_id);
        job.domain_name = r.string(jv, "domainName", jw, identity.domain_name);
        job.operator_id = r.string(jv, "syncOperatorId", jw, identity.user_id);
        job.operator_name = r.string(jv, "syncOperatorName", jw, identity.user_name);
        repo.jobs.push_back(std::move(job));
      }
    }
    if (repo.destinations.empty()) {
      for (const SimJob& job : repo.jobs) {
        const bool known = std::any_of(
            repo.destinations.begin(), repo.destinations.end(), [&](const Destination& d) {
              return d.region == job.remote_region && d.organization == job.remote_organization;
            });
        if (!known) repo.destinations.push_back({job.remote_region, job.remote_organization});
      }
    }
    world.repositories.emplace(std::move(ref), std::move(repo));
  }
  // Jobs without an id get fresh ones after the largest given.
  for (auto& [ref, repo] : world.repositories) {
    for (SimJob& job : repo.jobs) {
      if (job.id == 0) job.id = ++max_id;
    }
    std::stable_sort(repo.jobs.begin(), repo.jobs.end(), job_order);
  }
  world.next_job_id = max_id + 1;
  derive_listings(world);
  return world;
}

bool is_repository_category(std::string_view text) {
  static constexpr std::string_view kCategories[] = {
      "app_server", "linux", "framework_app", "database", "lang", "other", "windows", "arm"};
  return std::find(std::begin(kCategories), std::end(kCategories), text) != std::end(kCategories);
}

World::World(WorldData data, Identity identity)
    : data_(std::move(data)), identity_(std::move(identity)) {
  index_.reserve(data_.repositories.size());
  for (auto& entry : data_.repositories) {
    index_.push_back(&entry);
    data_.organizations.try_emplace(entry.first.organization,
                                    1048000 + std::ssize(data_.organizations) * 17 + 5);
    data_.next_repository_id = std::max(data_.next_repository_id, entry.second.id + 1);
  }
  for (auto& [ref, repo] : data_.repositories) {
    if (repo.id == 0) repo.id = data_.next_repository_id++;
  }
}

JobPage World::page(const RepositoryRef& ref, std::size_t offset, std::size_t limit,
                    bool descending) const {
  std::lock_guard lock(mutex_);
  JobPage out;
  const auto it = data_.repositories.find(ref);
  if (it == data_.repositories.end()) {
    out.lookup = data_.organizations.contains(ref.organization) ? Lookup::kNoRepository
                                                                : Lookup::kNoOrganization;
    return out;
  }
  const std::vector<SimJob>& jobs = it->second.jobs;
  out.total = jobs.size();
  for (std::size_t i = offset; i < jobs.size() && out.jobs.size() < limit; ++i) {
    out.jobs.push_back(descending ? jobs[jobs.size() - 1 - i] : jobs[i]);
  }
  return out;
}

Lookup World::lookup(const RepositoryRef& ref) const {
  std::lock_guard lock(mutex_);
  if (data_.repositories.contains(ref)) return Lookup::kFound;
  return data_.organizations.contains(ref.organization) ? Lookup::kNoRepository
                                                        : Lookup::kNoOrganization;
}

std::optional<std::vector<SyncRule>> World::rules(const RepositoryRef& ref) const {
  std::lock_guard lock(mutex_);
  const auto it = data_.repositories.find(ref);
  if (it == data_.repositories.end()) return std::nullopt;
  return it->second.rules;
}

std::vector<std::pair<std::string, std::int64_t>> World::organizations() const {
  std::lock_guard lock(mutex_);
  return {data_.organizations.begin(), data_.organizations.end()};
}

RepositorySummary World::summary(const Entry& entry) const {
  const auto& [ref, repo] = entry;
  return {repo.id,
          ref.organization,
          ref.repository,
          repo.category,
          format_timestamp_us(repo.created_us),
          format_timestamp_us(repo.updated_us),
          repo.tags};
}

RepositoryPage World::list_repositories(const RepositoryQuery& query) const {
  std::lock_guard lock(mutex_);
  RepositoryPage out;
  // The slices of the index whose organization matches, in listing order.
  std::vector<std::pair<std::size_t, std::size_t>> slices;
  if (query.organization_contains.empty()) {
    slices.emplace_back(0, index_.size());
  } else {
    for (const auto& [organization, id] : data_.organizations) {
      if (organization.find(query.organization_contains) == std::string::npos) continue;
      const auto [lo, hi] =
          std::equal_range(index_.begin(), index_.end(), organization, ByOrganization{});
      if (lo != hi) slices.emplace_back(lo - index_.begin(), hi - index_.begin());
    }
  }
  const bool index_order = query.order == RepositoryOrder::kOrganizationThenName &&
                           !query.descending && query.name_contains.empty() &&
                           query.category.empty();
  if (index_order) {
    // The page is a run of the slices: nothing outside it is read.
    for (const auto& [lo, hi] : slices) out.total += hi - lo;
    std::size_t skip = query.offset;
    for (const auto& [lo, hi] : slices) {
      if (out.items.size() >= query.limit) break;
      if (skip >= hi - lo) {
        skip -= hi - lo;
        continue;
      }
      for (std::size_t i = lo + skip; i < hi && out.items.size() < query.limit; ++i) {
        out.items.push_back(summary(*index_[i]));
      }
      skip = 0;
    }
    return out;
  }
  // Conditions on names and categories, or another order: read those of the matching slices,
  // order just far enough for the page, copy only the page.
  std::vector<const Entry*> matches;
  for (const auto& [lo, hi] : slices) {
    for (std::size_t i = lo; i < hi; ++i) {
      const Entry* e = index_[i];
      if (e->first.repository.find(query.name_contains) == std::string::npos) continue;
      if (!query.category.empty() && e->second.category != query.category) continue;
      matches.push_back(e);
    }
  }
  out.total = matches.size();
  if (query.offset >= matches.size()) return out;
  const std::size_t end = query.offset + std::min(query.limit, matches.size() - query.offset);
  const auto end_it = matches.begin() + static_cast<std::ptrdiff_t>(end);
  std::partial_sort(matches.begin(), end_it, matches.end(),
                    ListingOrder{query.order, query.descending});
  for (std::size_t i = query.offset; i < end; ++i) out.items.push_back(summary(*matches[i]));
  return out;
}

std::optional<RepositorySummary> World::repository(const RepositoryRef& ref) const {
  std::lock_guard lock(mutex_);
  const auto it = data_.repositories.find(ref);
  if (it == data_.repositories.end()) return std::nullopt;
  return summary(*it);
}

std::size_t World::repository_count() const {
  std::lock_guard lock(mutex_);
  return data_.repositories.size();
}

std::size_t World::job_count() const {
  std::lock_guard lock(mutex_);
  std::size_t n = 0;
  for (const auto& [ref, repo] : data_.repositories) n += repo.jobs.size();
  return n;
}

SimRepository& World::ensure_repository(const RepositoryRef& ref, std::int64_t now_us) {
  if (!data_.organizations.contains(ref.organization)) {
    const auto id = 1048000 + static_cast<std::int64_t>(data_.organizations.size()) * 17 + 5;
    data_.organizations.emplace(ref.organization, id);
  }
  auto [it, inserted] = data_.repositories.try_emplace(ref);
  if (inserted) {
    it->second.id = data_.next_repository_id++;
    it->second.created_us = now_us;
    it->second.updated_us = now_us;
    const Entry* entry = &*it;
    index_.insert(std::upper_bound(index_.begin(), index_.end(), entry, by_key), entry);
  }
  return it->second;
}

SimJob World::make_job(const RepositoryRef& ref) const {
  SimJob job;
  job.organization = ref.organization;
  job.repository = ref.repository;
  job.domain_id = identity_.domain_id;
  job.domain_name = identity_.domain_name;
  job.operator_id = identity_.user_id;
  job.operator_name = identity_.user_name;
  return job;
}

std::optional<std::vector<std::int64_t>> World::append(const RepositoryRef& ref,
                                                       const std::vector<NewJob>& jobs,
                                                       std::int64_t now_us, SyncTrigger trigger) {
  std::lock_guard lock(mutex_);
  if (trigger == SyncTrigger::kManual && !data_.repositories.contains(ref)) return std::nullopt;
  SimRepository& repo = ensure_repository(ref, now_us);
  std::vector<std::int64_t> ids;
  for (const NewJob& spec : jobs) {
    if (trigger == SyncTrigger::kPush) push_tag(repo, spec.tag, now_us);
    SimJob job = make_job(ref);
    job.id = data_.next_job_id++;
    job.created_us = now_us - static_cast<std::int64_t>(std::llround(spec.duration_seconds * 1e6));
    job.created_at = format_timestamp_us(job.created_us);
    job.updated_at = format_timestamp_us(now_us);
    job.tag = spec.tag;
    job.status = spec.status;
    const Destination fallback = repo.destinations.empty()
                                     ? Destination{"cn-east-3", ref.organization}
                                     : repo.destinations.front();
    job.remote_region = spec.remote_region.empty() ? fallback.region : spec.remote_region;
    job.remote_organization =
        spec.remote_organization.empty() ? fallback.organization : spec.remote_organization;
    job.override_image = spec.override_image;
    const auto at = std::upper_bound(repo.jobs.begin(), repo.jobs.end(), job, job_order);
    repo.jobs.insert(at, std::move(job));
    ids.push_back(data_.next_job_id - 1);
  }
  return ids;
}

void World::push(const RepositoryRef& ref, const std::string& tag, std::int64_t now_us) {
  std::lock_guard lock(mutex_);
  push_tag(ensure_repository(ref, now_us), tag, now_us);
}

bool World::remove(const RepositoryRef& ref) {
  std::lock_guard lock(mutex_);
  const auto it = data_.repositories.find(ref);
  if (it == data_.repositories.end()) return false;
  const Entry* entry = &*it;
  index_.erase(std::lower_bound(index_.begin(), index_.end(), entry, by_key));
  data_.repositories.erase(it);
  return true;
}

void World::churn(std::mt19937_64& rng, std::int64_t now_us) {
  std::lock_guard lock(mutex_);
  Draw draw{rng};
  const std::string now = format_timestamp_us(now_us);
  for (auto& [ref, repo] : data_.repositories) {
    for (SimJob& job : repo.jobs) {
      if (job.status == "waiting" && draw.chance(0.5)) {
        job.status = "running";
        job.updated_at = now;
      } else if (job.status == "running" && draw.chance(0.4)) {
        const double p = draw.unit();
        job.status = p < 0.85 ? "success" : p < 0.95 ? "failed" : "timeout";
        job.updated_at = now;
      }
    }
    if (!repo.destinations.empty() && draw.chance(0.1)) {
      SimJob job = make_job(ref);
      job.id = data_.next_job_id++;
      job.created_us = now_us;
      job.created_at = now;
      job.updated_at = now;
      job.status = "waiting";
      job.tag = "sha-" + hex(draw, 7);
      push_tag(repo, job.tag, now_us);
      const Destination& d =
          repo.destinations[static_cast<std::size_t>(draw.below(std::ssize(repo.destinations)))];
      job.remote_region = d.region;
      job.remote_organization = d.organization;
      const auto at = std::upper_bound(repo.jobs.begin(), repo.jobs.end(), job, job_order);
      repo.jobs.insert(at, std::move(job));
    }
  }
}

}  // namespace swr::sim
