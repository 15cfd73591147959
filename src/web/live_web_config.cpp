#include "web/live_web_config.h"

#include <sys/stat.h>

#include <cerrno>

#include "log/logger.h"

namespace swr::web {
namespace {

void log_loaded(const std::string& path, const ActiveWebConfig& active, bool reloaded) {
  swr::log::info(reloaded ? "web configuration reloaded" : "web configuration loaded",
                 {{"file", path},
                  {"tls", active.tls ? "true" : "false"},
                  {"client_auth_type", std::string(to_string(active.config.tls.client_auth))},
                  {"basic_auth_users", std::to_string(active.config.basic_auth_users.size())},
                  {"headers", std::to_string(active.config.http.headers.size())}});
  if (active.config.http.http2_set) {
    swr::log::info("http_server_config.http2 has no effect: this exporter serves HTTP/1.1 only",
                   {{"file", path}, {"http2", active.config.http.http2 ? "true" : "false"}});
  }
}

}  // namespace

FileStamp stamp_file(const std::string& path) {
  struct stat st {};
  FileStamp stamp;
  if (::stat(path.c_str(), &st) != 0) {
    stamp.error = errno;
    return stamp;
  }
  stamp.device = st.st_dev;
  stamp.inode = st.st_ino;
  stamp.size = st.st_size;
  stamp.mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  return stamp;
}

LiveWebConfig::Loaded LiveWebConfig::load(const std::string& path) {
  Loaded out;
  out.stamps.emplace_back(path, stamp_file(path));
  WebConfigResult parsed = load_web_config_file(path);
  if (!parsed) {
    out.active = unexpected(std::move(parsed.error()));
    return out;
  }
  auto active = std::make_shared<ActiveWebConfig>();
  active->config = std::move(*parsed);
  const TlsServerConfig& tls = active->config.tls;
  if (tls.enabled) {
    for (const std::string* file : {&tls.cert_file, &tls.key_file, &tls.client_ca_file}) {
      if (!file->empty()) out.stamps.emplace_back(*file, stamp_file(*file));
    }
    auto context = TlsContext::create(tls);
    if (!context) {
      const TlsSetupError& error = context.error();
      const auto& marks = active->config.marks;
      auto mark = marks.find(error.key);
      if (mark == marks.end()) mark = marks.find("tls_server_config");
      const YamlMark where = mark == marks.end() ? YamlMark{} : mark->second;
      out.active = unexpected(
          WebConfigError{path, where.line, where.column, error.key + ": " + error.message});
      return out;
    }
    active->tls = std::move(*context);
  }
  out.active = std::move(active);
  return out;
}

Result<std::shared_ptr<LiveWebConfig>, WebConfigError> LiveWebConfig::open(const std::string& path,
                                                                           const Clock& clock) {
  Loaded loaded = load(path);
  if (!loaded.active) return unexpected(std::move(loaded.active.error()));
  std::shared_ptr<LiveWebConfig> live(new LiveWebConfig(path, clock));
  live->active_ = *loaded.active;
  live->seen_ = std::move(loaded.stamps);
  live->tls_ = (*loaded.active)->tls != nullptr;
  live->last_check_ = clock.now();
  log_loaded(path, **loaded.active, false);
  return live;
}

Result<void, WebConfigError> LiveWebConfig::check(const std::string& path) {
  Loaded loaded = load(path);
  if (!loaded.active) return unexpected(std::move(loaded.active.error()));
  return {};
}

std::shared_ptr<const ActiveWebConfig> LiveWebConfig::current() {
  const std::lock_guard lock(mutex_);
  const auto now = clock_.now();
  // A clock set back counts as time passed.
  if (now >= last_check_ && now - last_check_ < kCheckInterval) return active_;
  last_check_ = now;
  bool changed = false;
  for (const auto& [file, stamp] : seen_) changed = changed || stamp_file(file) != stamp;
  if (!changed) return active_;

  Loaded loaded = load(path_);
  seen_ = std::move(loaded.stamps);
  if (!loaded.active) {
    swr::log::error("web configuration not reloaded; the last good one stays in use",
                    {{"file", path_}, {"err", loaded.active.error().to_string()}});
    return active_;
  }
  if (((*loaded.active)->tls != nullptr) != tls_) {
    swr::log::error(
        "web configuration not reloaded: switching between HTTP and HTTPS needs a restart; the "
        "last good one stays in use",
        {{"file", path_}, {"serving", tls_ ? "https" : "http"}});
    return active_;
  }
  active_ = std::move(*loaded.active);
  log_loaded(path_, *active_, true);
  return active_;
}

}  // namespace swr::web
