#include "faults.h"

namespace swr::sim {

FaultBook::FaultBook(std::vector<FaultSpec> specs) {
  for (FaultSpec& spec : specs) states_.push_back({std::move(spec), 0, 0});
}

FaultAction FaultBook::on_request(const RepositoryRef& ref) {
  std::lock_guard lock(mutex_);
  FaultAction action;
  for (State& s : states_) {
    if (s.spec.organization != ref.organization || s.spec.repository != ref.repository) continue;
    if (s.spec.count > 0 && s.hits >= s.spec.count) continue;
    switch (s.spec.kind) {
      case FaultKind::kSlow:
        action.delay_ms += s.spec.delay_ms;
        ++s.hits;
        break;
      case FaultKind::kTokenExpiry:
        // Requests 1..after pass; the next one finds every token dead.
        if (++s.seen > s.spec.after && !action.kind) {
          s.seen = 0;
          ++s.hits;
          action.kind = s.spec.kind;
        }
        break;
      default:
        if (action.kind) break;
        ++s.hits;
        action.kind = s.spec.kind;
        action.retry_after_seconds = (s.spec.retry_after_ms + 999) / 1000;
        action.mode = s.spec.mode;
        action.truncation = s.spec.truncation;
        action.bytes = s.spec.bytes;
        break;
    }
  }
  return action;
}

std::vector<FaultHits> FaultBook::hits() const {
  std::lock_guard lock(mutex_);
  std::vector<FaultHits> out;
  for (const State& s : states_) out.push_back({s.spec, s.hits});
  return out;
}

}  // namespace swr::sim
