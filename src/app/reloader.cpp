#include "app/reloader.h"

#include "log/logger.h"

namespace swr::app {

Reloader::Reloader(Source source, LiveMetrics& live, std::string config_path)
    : source_(std::move(source)), live_(live), config_path_(std::move(config_path)) {}

Result<void> Reloader::reload() {
  Result<config::Config> next = source_();
  if (!next) {
    live_.reload_failed();
    log::error("configuration not reloaded; the old one keeps running", {{"err", next.error()}});
    return unexpected(std::move(next.error()));
  }
  {
    std::lock_guard lock(mutex_);
    pending_ = std::make_unique<config::Config>(std::move(*next));
    if (waiting_ != nullptr) waiting_->request_stop();
  }
  live_.reload_succeeded();
  log::info("configuration reloaded; it applies from the next cycle", {{"config", config_path_}});
  return {};
}

std::unique_ptr<config::Config> Reloader::take() {
  std::lock_guard lock(mutex_);
  return std::move(pending_);
}

void Reloader::wait(Clock& clock, std::chrono::milliseconds duration, std::stop_token stop) {
  std::stop_source wake;
  {
    std::lock_guard lock(mutex_);
    if (pending_) return;
    waiting_ = &wake;
  }
  {
    const std::stop_callback on_stop(stop, [&wake] { wake.request_stop(); });
    clock.sleep_for(duration, wake.get_token());
  }
  std::lock_guard lock(mutex_);
  waiting_ = nullptr;
}

}  // namespace swr::app
