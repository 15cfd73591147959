#include "app/serving.h"

#include "log/logger.h"

namespace swr::app {

web::WebOptions web_options(const Flags& flags, const std::string& version,
                            std::shared_ptr<web::LiveWebConfig> web_config,
                            std::function<Result<void>()> reload) {
  web::WebOptions options;
  options.listen_address = flags.listen;
  options.telemetry_path = flags.telemetry_path;
  options.version = version;
  if (flags.enable_lifecycle) options.reload = std::move(reload);
  options.web_config = std::move(web_config);
  return options;
}

std::function<web::Exposition()> serve_exposition(const metrics::ExpositionCache& cache) {
  return [&cache] {
    auto r = std::make_shared<const metrics::Rendered>(cache.current());
    return web::Exposition{
        r->text_size(), [r](const web::BodySink& sink) { return r->write_text(sink); },
        r->gzip_size(), [r](const web::BodySink& sink) { return r->write_gzip(sink); }};
  };
}

bool bind_and_say(web::WebServer& server, const Flags& flags,
                  const web::LiveWebConfig* web_config) {
  if (auto bound = server.bind(); !bound) {
    log::error("cannot listen", {{"address", flags.listen}, {"err", bound.error()}});
    return false;
  }
  log::info("listening", {{"address", flags.listen},
                          {"port", std::to_string(server.port())},
                          {"tls", web_config != nullptr && web_config->tls() ? "true" : "false"},
                          {"telemetry_path", flags.telemetry_path}});
  return true;
}

}  // namespace swr::app
