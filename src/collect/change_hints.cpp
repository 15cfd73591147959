#include "collect/change_hints.h"

namespace swr::collect {

Hint ChangeHints::lookup(const RepositoryRef& ref) const {
  if (!listed_) return {};
  const auto org = listings_.find(ref.organization);
  if (org == listings_.end()) return {};
  if (!org->second)
    return {Hint::Kind::kListingFailed, nullptr, &org->second.error(), std::nullopt};
  const auto entry = org->second->find(ref.repository);
  if (entry == org->second->end()) return {Hint::Kind::kUnlisted, nullptr, nullptr, std::nullopt};
  if (!entry->second.problem.empty()) {
    return {Hint::Kind::kUnusable, nullptr, &entry->second.problem, entry->second.updated_at_us};
  }
  return {Hint::Kind::kFingerprint, &entry->second.fingerprint, nullptr,
          entry->second.updated_at_us};
}

}  // namespace swr::collect
