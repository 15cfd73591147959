// Time as an injected dependency, so tests never sleep on the real clock.
#pragma once

#include <sys/resource.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stop_token>

namespace swr {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::chrono::system_clock::time_point now() const = 0;
  // Monotonic time, for intervals and cadences: never jumps when the wall clock is set.
  virtual std::chrono::steady_clock::time_point steady_now() const = 0;
  // Waits for `duration` or until `stop` is requested; false when stopped.
  virtual bool sleep_for(std::chrono::milliseconds duration, std::stop_token stop) = 0;
};

class SystemClock final : public Clock {
 public:
  std::chrono::system_clock::time_point now() const override {
    return std::chrono::system_clock::now();
  }
  std::chrono::steady_clock::time_point steady_now() const override {
    return std::chrono::steady_clock::now();
  }
  bool sleep_for(std::chrono::milliseconds duration, std::stop_token stop) override {
    std::unique_lock lock(mutex_);
    return !cv_.wait_for(lock, stop, duration, [] { return false; }) && !stop.stop_requested();
  }

 private:
  std::mutex mutex_;
  std::condition_variable_any cv_;
};

// CPU time of the whole process so far, user and system, in seconds (for figures in logs and
// benchmarks; the served process_cpu_seconds_total comes from /proc).
inline double process_cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

inline double to_unix_seconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

}  // namespace swr
