// A token bucket shared by every worker, so the exporter never asks SWR faster than configured.
// It halves its rate when the gateway throttles and climbs back while requests go through.
#pragma once

#include <chrono>
#include <mutex>
#include <stop_token>

#include "model/clock.h"

namespace swr::huaweicloud {

class RateLimiter {
 public:
  RateLimiter(double requests_per_second, Clock& clock);

  // Waits for a token; false when stopped while waiting.
  bool acquire(std::stop_token stop);
  // Takes a token now, even into debt (callers queue up in the order they came), and says how
  // long to wait before using it.
  std::chrono::milliseconds reserve();
  // The gateway said APIG.0308 / 429: halve the rate (not below 1/16 of the configured one).
  void on_throttled();
  // A request went through: win back 5% of the configured rate.
  void on_success();
  double current_rate() const;

 private:
  const double configured_;
  Clock& clock_;
  mutable std::mutex mutex_;
  double rate_;
  double tokens_;
  std::chrono::system_clock::time_point refilled_at_;
};

}  // namespace swr::huaweicloud
