// What happens before the exporter serves: logging set up from the flags, the configuration and
// the web configuration loaded, --check-config answered. Each returns the value, or (as the
// Result's error) the exit code when the program ends there.
#pragma once

#include <memory>
#include <string>

#include "app/flags.h"
#include "config/config.h"
#include "model/clock.h"
#include "model/result.h"
#include "web/live_web_config.h"

namespace swr::app {

// Logging, then --config with the shard flags applied; --check-config ends here with 0. Says
// "starting" with the version and shard when the exporter goes on.
Result<config::Config, int> load_startup_config(const Flags& flags, const std::string& version,
                                                const std::string& revision);

// --config read again, for a reload: the configuration, or what was wrong with it.
Result<config::Config> reload_config(const Flags& flags);

// --web.config.file (none with --once or without the flag); a file that does not load stops the
// start with 2, as a bad --config does.
Result<std::shared_ptr<web::LiveWebConfig>, int> open_web_config(const Flags& flags, Clock& clock);

}  // namespace swr::app
