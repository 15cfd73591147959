// Collects the exporter's log lines for the length of a test (instead of stderr).
#pragma once

#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "log/logger.h"

namespace swr::test {

class LogCapture {
 public:
  LogCapture() {
    swr::log::set_sink([this](std::string_view line) {
      const std::lock_guard lock(mutex_);
      lines_.emplace_back(line);
    });
  }
  ~LogCapture() { swr::log::set_sink(nullptr); }
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;

  std::string text() const {
    const std::lock_guard lock(mutex_);
    std::string out;
    for (const auto& line : lines_) out += line + "\n";
    return out;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> lines_;
};

}  // namespace swr::test
