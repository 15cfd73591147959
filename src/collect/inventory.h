// config -> inventory: each cycle, which repositories this replica polls (discovery, at its own
// cadence) and what the repository listing says of them (change hints, every cycle). Both come
// from the same ListReposDetails calls, one per page of each organization's repositories.
#pragma once

#include <chrono>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "collect/change_hints.h"
#include "collect/discovery.h"
#include "model/clock.h"
#include "model/discovery_api.h"

namespace swr::collect {

struct InventoryOptions {
  DiscoveryOptions discovery;
  std::chrono::milliseconds discovery_interval{600'000};
  bool change_hints = true;  // list every polled organization every cycle
  int in_flight = 4;         // organizations listed at the same time
};

struct InventoryCycle {
  std::optional<DiscoveryResult> discovery;  // when discovery ran this cycle
  ChangeHints hints;                         // listed() when change hints are on
  // Without change hints, the listing discovery made (listed() when it ran): the repositories'
  // last push comes from it.
  ChangeHints discovery_listing;
  int listing_requests = 0;
  std::vector<std::string> listing_errors;  // one per organization whose listing failed
};

class Inventory {
 public:
  // Discovery runs on the first cycle and then once `discovery_interval` has passed on `clock`'s
  // monotonic time.
  Inventory(InventoryOptions options, DiscoveryApi& api, const Clock& clock);

  // This cycle's inventory.
  InventoryCycle next(std::stop_token stop);

 private:
  InventoryOptions options_;
  DiscoveryApi& api_;
  const Clock& clock_;
  std::optional<std::chrono::steady_clock::time_point> last_discovery_;
  std::vector<std::string> organizations_;         // every organization, when there are no targets
  std::vector<std::string> polled_organizations_;  // of the repositories discovery found
};

}  // namespace swr::collect
