// When to try a call again, and after how long.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace swr::huaweicloud {

struct RetryPolicy {
  int max_attempts = 4;  // per call, the first one included
  std::chrono::milliseconds base_delay{500};
  std::chrono::milliseconds max_delay{30'000};
  // Huawei advises 2-5 s after throttling when no Retry-After says otherwise.
  std::chrono::milliseconds throttle_delay{2'000};
  std::chrono::milliseconds max_retry_after{60'000};
};

// Full-jitter exponential backoff: uniform in [delay/2, delay] with delay = base * 2^(attempt-1),
// capped. `unit` is a number in [0, 1) from the caller's random source.
std::chrono::milliseconds backoff_delay(const RetryPolicy& policy, int attempt, double unit);

// `Retry-After` as delta-seconds; an HTTP-date or garbage gives nothing.
std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value);

// A shared allowance of retries for one poll cycle, so a sick API cannot stretch a cycle
// without bound.
class RetryBudget {
 public:
  void reset(std::int64_t retries) { remaining_.store(retries); }
  bool take() { return remaining_.fetch_sub(1) > 0; }
  std::int64_t remaining() const { return remaining_.load(); }

 private:
  std::atomic<std::int64_t> remaining_{0};
};

}  // namespace swr::huaweicloud
