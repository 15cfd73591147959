// A clock the test moves: sleeping advances it at once and adds to `slept`; a stop requested
// before or during a sleep ends it with false.
#pragma once

#include <chrono>
#include <stop_token>

#include "model/clock.h"

namespace swr::test {

class FakeClock final : public Clock {
 public:
  std::chrono::system_clock::time_point t{std::chrono::seconds(1'800'000'000)};
  std::chrono::milliseconds slept{0};
  std::chrono::system_clock::time_point now() const override { return t; }
  bool sleep_for(std::chrono::milliseconds d, std::stop_token stop) override {
    slept += d;
    t += d;
    return !stop.stop_requested();
  }
};

}  // namespace swr::test
