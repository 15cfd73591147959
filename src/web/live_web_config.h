// The web config file as last loaded, kept current the way exporter-toolkit keeps it (it re-reads
// the file and certificates for every connection), but cheaply: at most once a second it stats
// the file and the files it names, and reloads when one changed. A new version that does not
// load is logged and the last good one stays in use.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "model/clock.h"
#include "model/result.h"
#include "web/tls_context.h"
#include "web/web_config.h"

namespace swr::web {

// What a connection serves with: the parsed file and, for HTTPS, its TLS context.
struct ActiveWebConfig {
  WebConfig config;
  std::shared_ptr<const TlsContext> tls;  // null: plain HTTP
};

// Identity of a file's contents as stat(2) sees them.
struct FileStamp {
  int error = 0;  // errno of stat, 0 when it worked
  dev_t device = 0;
  ino_t inode = 0;
  off_t size = 0;
  std::int64_t mtime_ns = 0;
  bool operator==(const FileStamp&) const = default;
};

class LiveWebConfig {
 public:
  // Loads the file and builds its TLS context. The clock must outlive the object.
  static Result<std::shared_ptr<LiveWebConfig>, WebConfigError> open(const std::string& path,
                                                                     const Clock& clock);
  // Loads once, for --check-config: nothing when the file is good, or what is wrong with it.
  static Result<void, WebConfigError> check(const std::string& path);

  // The config to use now; see the top of this file. Thread-safe.
  std::shared_ptr<const ActiveWebConfig> current();

  const std::string& path() const { return path_; }
  // Fixed at open(): switching between HTTP and HTTPS takes a restart.
  bool tls() const { return tls_; }

  static constexpr std::chrono::seconds kCheckInterval{1};

 private:
  struct Loaded {
    // The stamps are kept whether or not the file loaded, so this is more than a Result.
    Result<std::shared_ptr<const ActiveWebConfig>, WebConfigError> active;
    std::vector<std::pair<std::string, FileStamp>> stamps;  // taken before reading each file
  };

  LiveWebConfig(std::string path, const Clock& clock) : path_(std::move(path)), clock_(clock) {}
  static Loaded load(const std::string& path);

  const std::string path_;
  const Clock& clock_;
  bool tls_ = false;
  std::mutex mutex_;
  std::shared_ptr<const ActiveWebConfig> active_;
  std::vector<std::pair<std::string, FileStamp>> seen_;  // of the last attempt, good or not
  std::chrono::system_clock::time_point last_check_;
};

FileStamp stamp_file(const std::string& path);

}  // namespace swr::web
