// The one clock tests move by hand, for the exporter's code (swr::Clock) and for the simulator
// (sim_clock()). Sleeping advances it at once and adds to slept(); a stop requested before or
// during a sleep ends it with false. Safe to read from server threads while the test moves it.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <stop_token>

#include "model/clock.h"

namespace swr::test {

class FakeClock final : public Clock {
 public:
  // 2027-01-15T08:00:00Z unless told otherwise: far from the real time, so nothing depends on it.
  static constexpr std::chrono::seconds kDefaultStart{1'800'000'000};

  FakeClock() : FakeClock(std::chrono::system_clock::time_point{kDefaultStart}) {}
  explicit FakeClock(std::chrono::system_clock::time_point start) : start_(micros(start)) {
    now_us_ = start_;
  }
  // Starts at the real time, for tests whose dates must look current (signed request dates).
  static std::chrono::system_clock::time_point real_now() {
    return std::chrono::time_point_cast<std::chrono::microseconds>(
        std::chrono::system_clock::now());
  }

  std::chrono::system_clock::time_point now() const override {
    return std::chrono::system_clock::time_point{std::chrono::microseconds{now_us_.load()}};
  }
  // Moves with now(): the same distance from an arbitrary steady origin.
  std::chrono::steady_clock::time_point steady_now() const override {
    return std::chrono::steady_clock::time_point{std::chrono::hours(1)} +
           std::chrono::microseconds{now_us_.load() - start_};
  }
  bool sleep_for(std::chrono::milliseconds d, std::stop_token stop) override {
    if (on_sleep) on_sleep(d);
    slept_ms_ += d.count();
    now_us_ += std::chrono::duration_cast<std::chrono::microseconds>(d).count();
    return !stop.stop_requested();
  }

  template <class Rep, class Period>
  void advance(std::chrono::duration<Rep, Period> d) {
    now_us_ += std::chrono::duration_cast<std::chrono::microseconds>(d).count();
  }
  void set(std::chrono::system_clock::time_point t) { now_us_ = micros(t); }
  std::chrono::milliseconds slept() const { return std::chrono::milliseconds{slept_ms_.load()}; }
  void reset_slept() { slept_ms_ = 0; }

  // Whole seconds and microseconds since the epoch, as the simulator counts them.
  std::int64_t seconds() const { return now_us_.load() / 1'000'000; }
  std::int64_t micros() const { return now_us_.load(); }
  // The simulator's clock (microseconds since the epoch), reading this one.
  std::function<std::int64_t()> sim_clock() const {
    return [this] { return now_us_.load(); };
  }

  // Called before each sleep with its length (the test may stop or look at something there).
  std::function<void(std::chrono::milliseconds)> on_sleep;

 private:
  static std::int64_t micros(std::chrono::system_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
  }
  std::int64_t start_;
  std::atomic<std::int64_t> now_us_{0};
  std::atomic<std::int64_t> slept_ms_{0};
};

}  // namespace swr::test
