#include "config/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace swr::config::detail {

namespace {

class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

std::string os_reason(int error_number) { return std::strerror(error_number); }

}  // namespace

Result<std::string> read_whole_file(const std::string& path) {
  FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return unexpected(os_reason(errno));
  std::string text;
  char buffer[8192];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      return unexpected(os_reason(errno));  // e.g. "Is a directory"
    }
    if (n == 0) break;
    text.append(buffer, static_cast<std::size_t>(n));
  }
  return text;
}

Result<void> check_readable(const std::string& path) {
  FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return unexpected(os_reason(errno));
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0) return unexpected(os_reason(errno));
  if (S_ISDIR(info.st_mode)) return unexpected(os_reason(EISDIR));
  return {};
}

std::optional<unsigned> group_or_other_access(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) return std::nullopt;
  if ((info.st_mode & 077) == 0) return std::nullopt;
  // Group access for our own group is how Kubernetes mounts secrets (0440, group = fsGroup, the
  // pod's group): not a leak. Others, or another group, are.
  if ((info.st_mode & 007) == 0 && (info.st_mode & 020) == 0 && info.st_gid == ::getegid()) {
    return std::nullopt;
  }
  return static_cast<unsigned>(info.st_mode & 07777);
}

std::string relative_to_config(const std::string& name, const std::string& config_path) {
  const std::filesystem::path file(name);
  if (file.is_absolute()) return name;
  const std::filesystem::path directory = std::filesystem::path(config_path).parent_path();
  if (directory.empty()) return name;
  return (directory / file).string();
}

}  // namespace swr::config::detail
