// The simulator as an object: build it from a SimConfig, start it on a background thread, stop it.
// Tests run it in-process on port 0; main.cpp wraps it with flags and signals.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "clock.h"
#include "sim_config.h"
#include "world.h"

namespace httplib {
class Server;
}

namespace swr::sim {

struct SimState;

class SimServer {
 public:
  // Builds the world (generated, or read from config.data). Throws ConfigError when the data file
  // cannot be read or is invalid.
  explicit SimServer(SimConfig config, Clock clock = system_now_us);
  ~SimServer();
  SimServer(const SimServer&) = delete;
  SimServer& operator=(const SimServer&) = delete;

  // Binds, serves on a background thread and returns the port. Throws std::runtime_error when it
  // cannot bind.
  int start();
  void stop();

  int port() const { return port_; }
  const std::string& host() const;
  std::string url() const;  // http://HOST:PORT
  World& world();
  const SimConfig& config() const;

 private:
  void start_listener();
  void begin_refusal(int spare_peer_port);
  void refuse_until_over(int spare_peer_port);

  std::unique_ptr<SimState> state_;
  std::unique_ptr<httplib::Server> server_;
  // Guards running_, listener_ and outage_: a refusal (POST /_sim/outage) stops and restarts
  // the listener from its own thread while stop() may be called from another.
  std::mutex lifecycle_mutex_;
  std::thread listener_;
  std::thread churner_;
  std::thread outage_;
  int port_ = 0;
  bool running_ = false;
};

// The account and user ids the simulated credentials stand for, derived from their names.
Identity identity_for(const Credentials& credentials);

}  // namespace swr::sim
