#include "collect/inventory.h"

#include <algorithm>

namespace swr::collect {

Inventory::Inventory(InventoryOptions options, DiscoveryApi& api, const Clock& clock)
    : options_(std::move(options)), api_(api), clock_(clock) {}

InventoryCycle Inventory::next(std::stop_token stop) {
  InventoryCycle out;
  const std::chrono::steady_clock::time_point now = clock_.steady_now();
  const bool discovery_due =
      !last_discovery_ ||
      (!is_static(options_.discovery) && now - *last_discovery_ >= options_.discovery_interval);
  std::optional<std::string> organizations_error;
  if (discovery_due && options_.discovery.targets.empty()) {
    NamesResult found = api_.list_organizations(stop);
    if (found) {
      organizations_ = std::move(*found);
    } else {
      organizations_error = found.error().message;
    }
  }

  // What to list: every organization polled, for the hints; those discovery reads, when due.
  std::vector<std::string> to_list;
  if (options_.change_hints) to_list = polled_organizations_;
  if (discovery_due && !organizations_error) {
    for (std::string& name : organizations_to_discover(options_.discovery, organizations_)) {
      to_list.push_back(std::move(name));
    }
  }
  Listings listings =
      list_organizations(api_, to_list, options_.in_flight, stop, &out.listing_requests);
  for (const auto& [name, listing] : listings) {
    if (!listing) out.listing_errors.push_back(listing.error());
  }

  if (discovery_due) {
    DiscoveryResult found;
    if (organizations_error) {
      found.needs_api = true;
      found.repositories = unexpected(*organizations_error);
    } else {
      found = discover(api_, options_.discovery, organizations_, listings, stop);
    }
    if (found.repositories) {
      last_discovery_ = now;
      polled_organizations_.clear();
      for (const RepositoryRef& ref : *found.repositories) {
        if (polled_organizations_.empty() || polled_organizations_.back() != ref.organization) {
          polled_organizations_.push_back(ref.organization);
        }
      }
      // The first cycle (and one after a failed discovery) had nothing to list for hints yet.
      if (options_.change_hints) {
        std::vector<std::string> missing;
        for (const std::string& name : polled_organizations_) {
          if (!listings.contains(name)) missing.push_back(name);
        }
        Listings more =
            list_organizations(api_, missing, options_.in_flight, stop, &out.listing_requests);
        for (auto& [name, listing] : more) {
          if (!listing) out.listing_errors.push_back(listing.error());
          listings.emplace(name, std::move(listing));
        }
      }
    }
    out.discovery = std::move(found);
  }
  if (options_.change_hints) {
    out.hints = ChangeHints(std::move(listings));
  } else if (!listings.empty()) {
    out.discovery_listing = ChangeHints(std::move(listings));
  }
  return out;
}

}  // namespace swr::collect
