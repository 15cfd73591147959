#include "huaweicloud/rate_limiter.h"

#include <algorithm>

namespace swr::huaweicloud {

namespace {
// One second's worth of requests may go out at once, at least one.
double burst(double rate) { return std::max(1.0, rate); }
}  // namespace

RateLimiter::RateLimiter(double requests_per_second, Clock& clock)
    : configured_(requests_per_second),
      clock_(clock),
      rate_(requests_per_second),
      tokens_(burst(requests_per_second)),
      refilled_at_(clock.now()) {}

bool RateLimiter::acquire(std::stop_token stop) {
  const std::chrono::milliseconds wait = reserve();
  return wait.count() == 0 || clock_.sleep_for(wait, stop);
}

std::chrono::milliseconds RateLimiter::reserve() {
  std::lock_guard lock(mutex_);
  const auto now = clock_.now();
  const double elapsed = std::chrono::duration<double>(now - refilled_at_).count();
  if (elapsed > 0) {
    tokens_ = std::min(burst(rate_), tokens_ + elapsed * rate_);
    refilled_at_ = now;
  }
  tokens_ -= 1;
  if (tokens_ >= 0) return std::chrono::milliseconds{0};
  return std::chrono::milliseconds(static_cast<long long>(-tokens_ / rate_ * 1000.0 + 0.999));
}

void RateLimiter::on_throttled() {
  std::lock_guard lock(mutex_);
  rate_ = std::max(configured_ / 16, rate_ / 2);
  tokens_ = std::min(tokens_, burst(rate_));
}

void RateLimiter::on_success() {
  std::lock_guard lock(mutex_);
  rate_ = std::min(configured_, rate_ + configured_ / 20);
}

double RateLimiter::current_rate() const {
  std::lock_guard lock(mutex_);
  return rate_;
}

}  // namespace swr::huaweicloud
