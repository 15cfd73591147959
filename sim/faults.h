// Injected failures on repositories' sync_job calls, as configured by [[faults]].
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "model/sync_job.h"
#include "sim_config.h"

namespace swr::sim {

// What to do to one request: wait first, then maybe answer differently.
struct FaultAction {
  std::int64_t delay_ms = 0;                       // slow
  std::optional<FaultKind> kind;                   // the fault that shapes the answer, if any
  std::int64_t retry_after_seconds = 0;            // throttle
  RangeLie mode = RangeLie::kTotalTooSmall;        // lying_content_range
  Truncation truncation = Truncation::kShortRead;  // truncated_body
  std::int64_t bytes = 0;                          // huge_body
};

struct FaultHits {
  FaultSpec spec;
  std::int64_t hits = 0;
};

class FaultBook {
 public:
  explicit FaultBook(std::vector<FaultSpec> specs);

  // Counts the request against every fault of the repository. Delays add up; of the faults that
  // change the answer, the first configured one with hits left wins (and only it is counted).
  FaultAction on_request(const RepositoryRef& ref);
  std::vector<FaultHits> hits() const;

 private:
  struct State {
    FaultSpec spec;
    std::int64_t hits = 0;
    std::int64_t seen = 0;  // token_expiry: requests since the tokens last died
  };
  mutable std::mutex mutex_;
  std::vector<State> states_;
};

}  // namespace swr::sim
