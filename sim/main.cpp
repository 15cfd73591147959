// swr-sim: flags, signals and the one line tests wait for; everything else is in swr_sim_lib.
#include <pthread.h>

#include <csignal>
#include <cstdlib>
#include <iostream>
#include <string>

#include "sim_config.h"
#include "sim_server.h"

int main(int argc, char** argv) {
  using namespace swr::sim;
  CommandLine command_line;
  try {
    command_line = parse_command_line(argc, argv);
  } catch (const ConfigError& e) {
    std::cerr << "swr-sim: " << e.what() << '\n';
    return 2;
  }
  if (command_line.help) {
    std::cout << usage();
    return 0;
  }
  // Under the test suite, the secrets go where its secret scan looks for them.
  if (const char* logs = std::getenv("SWR_TEST_LOG_DIR");
      command_line.config.issued_secrets_dir.empty() && logs && *logs) {
    command_line.config.issued_secrets_dir = std::string(logs) + "/issued-secrets";
  }

  // Every thread started from here on inherits the mask; the main thread waits for the signal.
  // A shell starts background jobs with SIGINT ignored, and an ignored signal never reaches
  // sigwait: restore the default first.
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  try {
    SimServer server(command_line.config);
    for (const FaultSpec& fault : server.config().faults) {
      if (server.world().lookup({fault.organization, fault.repository}) != Lookup::kFound) {
        std::cerr << "swr-sim: warning: fault " << to_string(fault.kind) << " names "
                  << fault.organization << "/" << fault.repository
                  << ", which is not in the world (yet)\n";
      }
    }
    if (server.config().verbose) {
      std::cerr << "swr-sim: " << server.world().organizations().size() << " organizations, "
                << server.world().repository_count() << " repositories, "
                << server.world().job_count() << " jobs\n";
    }
    server.start();
    std::cout << "swr-sim listening on " << server.url() << std::endl;
    int received = 0;
    sigwait(&signals, &received);
    server.stop();
  } catch (const ConfigError& e) {
    std::cerr << "swr-sim: " << e.what() << '\n';
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "swr-sim: " << e.what() << '\n';
    return 1;
  }
  return 0;
}
