// SIGHUP and POST /-/reload: the configuration is read again at once, and a good one waits for
// the poll loop to take it between cycles. One that does not load is refused, said, and the old
// one keeps running.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>

#include "app/live_metrics.h"
#include "config/config.h"
#include "model/clock.h"
#include "model/result.h"

namespace swr::app {

class Reloader {
 public:
  // Reads the configuration: it, or what was wrong with it.
  using Source = std::function<Result<config::Config>()>;
  Reloader(Source source, LiveMetrics& live, std::string config_path);

  // Reads the configuration now: nothing when it will apply from the next cycle, or what was
  // wrong with it. Safe from any thread.
  Result<void> reload();
  // The configuration a reload left for the poll loop, if any (taken once).
  std::unique_ptr<config::Config> take();
  // Waits `duration` on `clock`, ending early when a reload arrives or `stop` is requested.
  void wait(Clock& clock, std::chrono::milliseconds duration, std::stop_token stop);

 private:
  Source source_;
  LiveMetrics& live_;
  const std::string config_path_;
  std::mutex mutex_;  // guards the two below
  std::unique_ptr<config::Config> pending_;
  std::stop_source* waiting_ = nullptr;  // wakes the wait in progress
};

}  // namespace swr::app
