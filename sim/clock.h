// Time for the simulator, injected so tests can move it without sleeping.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

namespace swr::sim {

// Microseconds since the Unix epoch, UTC.
using Clock = std::function<std::int64_t()>;

inline std::int64_t system_now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace swr::sim
