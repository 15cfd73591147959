// What the web server is given: its options from the flags, and the exposition cache's bytes.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "app/flags.h"
#include "metrics/exposition.h"
#include "web/live_web_config.h"
#include "web/web_server.h"

namespace swr::app {

web::WebOptions web_options(const Flags& flags, const std::string& version,
                            std::shared_ptr<web::LiveWebConfig> web_config,
                            std::function<Result<void>()> reload);

// Each scrape takes the rendering current at its start, text and gzip.
std::function<web::Exposition()> serve_exposition(const metrics::ExpositionCache& cache);

// Binds the server; says where it listens, or why it cannot (false).
bool bind_and_say(web::WebServer& server, const Flags& flags, const web::LiveWebConfig* web_config);

}  // namespace swr::app
