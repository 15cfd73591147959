// What this cycle's repository listing (ListReposDetails) says of each repository: whether a push
// can have happened since a repository was last read.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>

#include "model/discovery_api.h"
#include "model/result.h"
#include "model/sync_job.h"

namespace swr::collect {

// One organization's listing: its repositories by name, or why it could not be listed.
using OrganizationListing = Result<std::unordered_map<std::string, RepositoryListing>>;

using Listings = std::map<std::string, OrganizationListing>;  // by organization

struct Hint {
  enum class Kind {
    kNone,           // no listing this cycle: nothing is known
    kFingerprint,    // listed, with a usable entry
    kUnlisted,       // the organization's listing does not have it (deleted, or never there)
    kUnusable,       // listed, but its entry is malformed or repeated
    kListingFailed,  // the organization's listing failed
  };
  Kind kind = Kind::kNone;
  const std::string* fingerprint = nullptr;  // kFingerprint
  const std::string* problem = nullptr;      // kUnusable, kListingFailed
  // The entry's `updated_at` (kFingerprint, kUnusable), when it is a timestamp.
  std::optional<std::int64_t> updated_at_us;
};

class ChangeHints {
 public:
  ChangeHints() = default;  // no listing: every lookup is kNone
  explicit ChangeHints(Listings listings) : listed_(true), listings_(std::move(listings)) {}

  bool listed() const { return listed_; }
  const Listings& listings() const { return listings_; }
  Hint lookup(const RepositoryRef& ref) const;

 private:
  bool listed_ = false;
  Listings listings_;
};

}  // namespace swr::collect
