// Flags, wiring and signals: the only file that knows every concrete type.
#include <malloc.h>
#include <pthread.h>
#include <signal.h>

#include <iostream>
#include <thread>

#include "app/poll_loop.h"
#include "app/serving.h"
#include "app/startup.h"
#include "log/logger.h"

int main(int argc, char** argv) {
  // Two malloc arenas, not one per thread, keep the resident set near what is in use; blocks of
  // 1 MiB and more (large bodies) are mapped and unmapped on their own (docs/design.md#memory).
  mallopt(M_ARENA_MAX, 2);
  mallopt(M_MMAP_THRESHOLD, 1 << 20);
  namespace app = swr::app;
  app::Flags flags;
  if (auto code = app::parse_command_line(argc, argv, flags, SWR_VERSION, SWR_REVISION))
    return *code;
  auto loaded = app::load_startup_config(flags, SWR_VERSION, SWR_REVISION);
  if (!loaded) return loaded.error();  // the exit code
  const swr::config::Config& config = *loaded;
  // Signals go to the thread that waits for them, never to the workers.
  sigset_t signals;
  sigemptyset(&signals);
  for (const int s : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&signals, s);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  swr::SystemClock clock;
  auto web_config = app::open_web_config(flags, clock);
  if (!web_config) return web_config.error();
  app::LiveMetrics live(SWR_VERSION, SWR_REVISION, clock);
  swr::metrics::ExpositionCache cache([&live] { return live.collect(); });
  app::PollLoop loop(config, app::swr_pipeline_factory(live.observer(), clock, flags.once), cache,
                     live, clock, flags.once);
  if (flags.once) return loop.run_once(std::cout);

  app::Reloader reloader([&flags] { return app::reload_config(flags); }, live, flags.config);
  const auto& served = *web_config;
  swr::web::WebServer server(
      app::web_options(flags, SWR_VERSION, served, [&] { return reloader.reload(); }),
      app::serve_exposition(cache), [&loop] { return loop.ready(); });
  if (!app::bind_and_say(server, flags, served.get())) return 1;
  std::jthread poll_thread([&](std::stop_token stop) { loop.run(reloader, stop); });
  std::thread web_thread([&server] { server.run(); });
  int received = 0;
  while (sigwait(&signals, &received) == 0 && received == SIGHUP) reloader.reload();
  swr::log::info("stopping", {{"signal", received == SIGTERM ? "SIGTERM" : "SIGINT"}});
  poll_thread.request_stop();  // cancels the requests in flight: the loop ends within moments
  server.stop();
  web_thread.join();
  poll_thread.join();
  swr::log::info("stopped");
  return 0;
}
