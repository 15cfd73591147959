#include "secret_journal.h"

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <iostream>

namespace swr::sim {

SecretJournal::SecretJournal(const std::string& dir) {
  if (dir.empty()) return;
  file_ = dir + "/swr-sim-" + std::to_string(::getpid()) + ".secrets";
}

void SecretJournal::record(std::string_view kind, std::string_view value) {
  if (file_.empty() || value.empty()) return;
  std::string line;
  line.reserve(kind.size() + value.size() + 2);
  line.append(kind).append("\t").append(value).append("\n");
  std::lock_guard lock(mutex_);
  std::error_code ignored;
  std::filesystem::create_directories(std::filesystem::path(file_).parent_path(), ignored);
  const int fd = ::open(file_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  bool ok = fd >= 0;
  if (ok) {
    // One write per line, so records of concurrent handlers never interleave.
    ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
    ::close(fd);
  }
  if (!ok && !failed_) {
    failed_ = true;
    std::cerr << "swr-sim: warning: cannot append to " << file_ << '\n';
  }
}

}  // namespace swr::sim
