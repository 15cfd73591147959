#include "app/startup.h"

#include <iostream>

#include "config/config_loader.h"
#include "log/logger.h"

namespace swr::app {
namespace {

config::LoadResult load(const Flags& flags) {
  config::LoadResult loaded = config::load_config_file(flags.config, config::process_environment());
  for (const std::string& warning : loaded.warnings) {
    log::warn("configuration", {{"file", flags.config}, {"err", warning}});
  }
  return loaded;
}

}  // namespace

Result<config::Config, int> load_startup_config(const Flags& flags, const std::string& version,
                                                const std::string& revision) {
  const auto level = log::parse_level(flags.log_level);
  const auto format = log::parse_format(flags.log_format);
  if (!level || !format) {
    std::cerr << "swr-sync-exporter: "
              << (!level ? "--log.level must be debug, info, warn or error"
                         : "--log.format must be logfmt or json")
              << "\n";
    return unexpected(2);
  }
  log::configure(*level, *format);

  config::LoadResult loaded = load(flags);
  if (!loaded.config) {
    std::cerr << loaded.config.error().to_string() << "\n";
    return unexpected(2);
  }
  if (flags.check_config) {
    if (!flags.web_config.empty()) {
      if (auto checked = web::LiveWebConfig::check(flags.web_config); !checked) {
        std::cerr << checked.error().to_string() << "\n";
        return unexpected(2);
      }
    }
    std::cout << flags.config << ": configuration is valid\n";
    if (!flags.web_config.empty()) {
      std::cout << flags.web_config << ": web configuration is valid\n";
    }
    return unexpected(0);
  }
  if (auto applied = apply_shard_flags(flags, *loaded.config); !applied) {
    std::cerr << "swr-sync-exporter: " << applied.error() << "\n";
    return unexpected(2);
  }
  const config::Sharding& sharding = loaded.config->sharding;
  log::info("starting", {{"version", version},
                         {"revision", revision},
                         {"config", flags.config},
                         {"shard", std::to_string(sharding.shard)},
                         {"total_shards", std::to_string(sharding.total_shards)}});
  return std::move(*loaded.config);
}

Result<config::Config> reload_config(const Flags& flags) {
  config::LoadResult next = load(flags);
  if (!next.config) return unexpected(next.config.error().to_string());
  if (auto applied = apply_shard_flags(flags, *next.config); !applied) {
    return unexpected(std::move(applied.error()));
  }
  return std::move(*next.config);
}

Result<std::shared_ptr<web::LiveWebConfig>, int> open_web_config(const Flags& flags, Clock& clock) {
  if (flags.web_config.empty() || flags.once) return std::shared_ptr<web::LiveWebConfig>{};
  auto opened = web::LiveWebConfig::open(flags.web_config, clock);
  if (!opened) {
    std::cerr << opened.error().to_string() << "\n";
    return unexpected(2);
  }
  return std::move(*opened);
}

}  // namespace swr::app
