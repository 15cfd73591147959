// Everything the request handlers share. Internal to the simulator: sim_server.h is the API.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <random>
#include <string>

#include "auth.h"
#include "clock.h"
#include "faults.h"
#include "model/hex.h"
#include "outage.h"
#include "secret_journal.h"
#include "sim_config.h"
#include "stats.h"
#include "world.h"

namespace swr::sim {

// Lets sleeping handlers and the churn thread wake up when the server stops.
class StopSignal {
 public:
  // False when stopped before the time was up.
  bool sleep_for(std::chrono::milliseconds duration) {
    std::unique_lock lock(mutex_);
    return !cv_.wait_for(lock, duration, [&] { return stopped_; });
  }
  void stop() {
    {
      std::lock_guard lock(mutex_);
      stopped_ = true;
    }
    cv_.notify_all();
  }
  void reset() {
    std::lock_guard lock(mutex_);
    stopped_ = false;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stopped_ = false;
};

struct SimState {
  SimState(SimConfig config_in, Clock clock_in, Identity identity_in, WorldData world_in)
      : config(std::move(config_in)),
        clock(std::move(clock_in)),
        identity(std::move(identity_in)),
        world(std::move(world_in), identity),
        tokens(config.token_lifetime_ms * 1000, static_cast<std::size_t>(config.token_size)),
        aksk(config.credentials.access_key, config.credentials.secret_key),
        faults(config.faults),
        secrets(config.issued_secrets_dir) {
    secrets.record("secret_key", config.credentials.secret_key);
    secrets.record("password", config.credentials.password);
  }

  std::int64_t now_us() const { return clock(); }
  // One churn period; the rng is seeded from the world's seed, so a run is repeatable.
  void churn_once() {
    std::lock_guard lock(churn_mutex);
    world.churn(churn_rng, now_us());
  }
  // 32 hex digits, unique per response.
  std::string next_request_id() {
    std::uint64_t a = mix(request_counter.fetch_add(1) + salt);
    std::uint64_t b = mix(a);
    std::string out(32, '0');
    for (std::size_t i = 0; i < 16; ++i) {
      out[i] = hex_digit(static_cast<unsigned>(a >> (4 * i)));
      out[i + 16] = hex_digit(static_cast<unsigned>(b >> (4 * i)));
    }
    return out;
  }

  SimConfig config;
  Clock clock;
  Identity identity;
  World world;
  TokenStore tokens;
  AkSkVerifier aksk;
  FaultBook faults;
  Stats stats;
  StopSignal stop;
  Outage outage;
  SecretJournal secrets;
  std::atomic<int> port{0};  // where the server listens, once started
  // Set by SimServer: close the listening socket and cut the open connections (but the one from
  // `spare_peer_port`, which carries the request that asked for it) until the outage is over.
  std::function<void(int spare_peer_port)> refuse_connections;
  std::atomic<std::uint64_t> request_counter{0};
  std::uint64_t salt = static_cast<std::uint64_t>(system_now_us());
  std::mutex churn_mutex;
  std::mt19937_64 churn_rng{config.seed ^ 0x5eedc4a17ULL};

 private:
  static std::uint64_t mix(std::uint64_t x) {  // splitmix64
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
  }
};

}  // namespace swr::sim
