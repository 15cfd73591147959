#include "sim_server.h"

#include <httplib.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <sstream>

#include "error_bodies.h"
#include "http_util.h"
#include "routes.h"
#include "sim_state.h"

namespace swr::sim {

namespace {

WorldData build_world(const SimConfig& config, const Identity& identity, std::int64_t now_us) {
  if (config.data.empty()) {
    GenerationParams params;
    params.seed = config.seed;
    params.organizations = config.organizations;
    params.repositories = config.repositories;
    params.jobs = config.jobs;
    params.churning = config.churn_interval_ms > 0;
    return generate_world(params, identity, now_us);
  }
  std::ifstream in(config.data, std::ios::binary);
  if (!in) throw ConfigError("data: cannot read `" + config.data + "`");
  std::ostringstream text;
  text << in.rdbuf();
  try {
    return parse_world_json(text.str(), identity, now_us);
  } catch (const WorldError& e) {
    throw ConfigError("data: " + config.data + ": " + e.what());
  }
}

// Per-thread start time of the request being served, for the access log.
thread_local std::chrono::steady_clock::time_point request_started;

// During an outage: true when the request is answered (503) or cut (refuse) here.
bool answer_outage(SimState& state, const httplib::Request& req, httplib::Response& res) {
  switch (state.outage.active(state.now_us())) {
    case OutageKind::kNone:
      return false;
    case OutageKind::kRefuse:
      // A connection opened before the refusal, and not yet cut: a stopped server answers
      // nothing on it. The response written after this fails on the shut-down socket.
      state.outage.count_refused_request();
      cut_connections(state.port.load(), req.remote_port);
      res.status = 503;
      res.set_content("swr-sim: refusing connections\n", "text/plain");
      return true;
    case OutageKind::kCredentials:
      // Every SWR call: the gateway refuses the signature or token, as for a deleted key pair
      // or a revoked token. IAM and the metadata service answer as usual.
      if (req.path.starts_with("/_sim/") || req.path.starts_with("/v3/") ||
          req.path.starts_with("/meta-data/") || req.path.starts_with("/openstack/")) {
        return false;
      }
      state.outage.count_credentials_refusal();
      state.stats.count_auth_failure();
      res.status = 401;
      res.set_content(apig_error_body("APIGW.0301",
                                      "Incorrect IAM authentication information: the credentials "
                                      "were refused (swr-sim outage kind credentials)",
                                      request_id_of(res)),
                      kJsonType);
      return true;
    case OutageKind::kIamCredentials:
      // Every IAM token request: the password (or token) is refused. SWR answers as usual.
      if (!(req.path == "/v3/auth/tokens")) return false;
      state.outage.count_credentials_refusal();
      state.stats.count_auth_failure();
      res.status = 401;
      res.set_content(iam_error_body(401, "Unauthorized", "The username or password is wrong."),
                      kJsonType);
      return true;
    case OutageKind::kUnavailable:
      break;
  }
  if (req.path.starts_with("/_sim/")) return false;  // the controls keep working
  state.outage.count_unavailable_answer();
  res.status = 503;
  if (req.path.starts_with("/v3/")) {
    res.set_content(
        iam_error_body(503, "Service Unavailable", "The service is temporarily unavailable."),
        kJsonType);
  } else if (req.path.starts_with("/meta-data/") || req.path.starts_with("/openstack/")) {
    res.set_content("service unavailable\n", "text/plain");
  } else {
    res.set_content(swr_error_body("SVCSTG.SWR.5030000", "Service unavailable"), kJsonType);
  }
  return true;
}

}  // namespace

Identity identity_for(const Credentials& credentials) {
  return {huaweicloud::hex_sha256("domain:" + credentials.domain_name).substr(0, 32),
          credentials.domain_name,
          huaweicloud::hex_sha256("user:" + credentials.user_name).substr(0, 32),
          credentials.user_name};
}

SimServer::SimServer(SimConfig config, Clock clock) {
  const Identity identity = identity_for(config.credentials);
  WorldData world = build_world(config, identity, clock());
  state_ =
      std::make_unique<SimState>(std::move(config), std::move(clock), identity, std::move(world));
  server_ = std::make_unique<httplib::Server>();
  httplib::Server& server = *server_;
  // httplib writes headers and body apart; without TCP_NODELAY (inherited by accepted sockets)
  // Nagle and the client's delayed ACK add 40 ms to every answer.
  server.set_socket_options([](socket_t sock) {
    const int one = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    ::setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  });
  SimState& state = *state_;

  server.new_task_queue = [] { return new httplib::ThreadPool(32); };
  server.set_payload_max_length(64 * 1024 * 1024);
  // cpp-httplib closes a keep-alive connection after 5 requests; API gateways built on nginx keep
  // it for 1,000 (keepalive_requests), so clients that reuse connections do here too. The idle
  // timeout stays at httplib's 5 s: each open connection holds one of the server's threads.
  server.set_keep_alive_max_count(1000);
  server.set_pre_routing_handler([&state](const httplib::Request& req, httplib::Response& res) {
    request_started = std::chrono::steady_clock::now();
    res.set_header(kRequestIdHeader, state.next_request_id());
    return answer_outage(state, req, res) ? httplib::Server::HandlerResponse::Handled
                                          : httplib::Server::HandlerResponse::Unhandled;
  });
  // Unknown paths get the gateway's answer; handlers' own error bodies are left alone.
  server.set_error_handler(httplib::Server::HandlerWithResponse(
      [&state](const httplib::Request&, httplib::Response& res) {
        if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
        state.stats.count(Endpoint::kOther);
        res.set_content(apig_error_body("APIG.0101",
                                        "The API does not exist or has not been published in the "
                                        "environment",
                                        request_id_of(res)),
                        kJsonType);
        return httplib::Server::HandlerResponse::Handled;
      }));
  if (state.config.verbose) {
    server.set_logger([](const httplib::Request& req, const httplib::Response& res) {
      const auto elapsed = std::chrono::duration_cast<std::chrono::microseconds>(
          std::chrono::steady_clock::now() - request_started);
      // Path only: no query, no headers, no body, so no secret reaches the log.
      std::ostringstream line;
      line << "swr-sim: " << req.method << ' ' << req.path << ' ' << res.status << ' '
           << static_cast<double>(elapsed.count()) / 1000.0 << "ms\n";
      std::cerr << line.str() << std::flush;
    });
  }
  server.set_post_routing_handler(compress_json);
  add_iam_routes(server, state);
  add_swr_routes(server, state);
  add_admin_routes(server, state);
  state.refuse_connections = [this](int spare_peer_port) { begin_refusal(spare_peer_port); };
}

SimServer::~SimServer() { stop(); }

int SimServer::start() {
  std::lock_guard lock(lifecycle_mutex_);
  if (running_) return port_;
  const SimConfig& config = state_->config;
  state_->stop.reset();
  if (config.listen_port == 0) {
    port_ = server_->bind_to_any_port(config.listen_host);
    if (port_ <= 0) throw std::runtime_error("cannot listen on " + config.listen_host + ":0");
  } else {
    if (!server_->bind_to_port(config.listen_host, config.listen_port)) {
      throw std::runtime_error("cannot listen on " + config.listen_host + ":" +
                               std::to_string(config.listen_port));
    }
    port_ = config.listen_port;
  }
  state_->port = port_;
  start_listener();
  if (config.churn_interval_ms > 0) {
    churner_ = std::thread([this] {
      const std::chrono::milliseconds period(state_->config.churn_interval_ms);
      while (state_->stop.sleep_for(period)) state_->churn_once();
    });
  }
  running_ = true;
  return port_;
}

void SimServer::start_listener() {
  listener_ = std::thread([this] { server_->listen_after_bind(); });
  while (!server_->is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

void SimServer::stop() {
  std::thread outage;
  {
    std::lock_guard lock(lifecycle_mutex_);
    if (!running_) return;
    running_ = false;
    outage = std::move(outage_);
  }
  state_->stop.stop();
  if (outage.joinable()) outage.join();
  std::lock_guard lock(lifecycle_mutex_);
  server_->stop();
  if (listener_.joinable()) listener_.join();
  if (churner_.joinable()) churner_.join();
}

// Runs on a request's worker thread: it must not wait for the listener, which waits for every
// worker before it returns. The outage thread does the stopping and the reopening.
void SimServer::begin_refusal(int spare_peer_port) {
  std::lock_guard lock(lifecycle_mutex_);
  if (!running_) return;
  // A refusal ends (end_refusal) only after its thread reopened the port, so any earlier
  // outage thread is done with its work by the time a new refusal can be asked for.
  if (outage_.joinable()) outage_.join();
  outage_ = std::thread([this, spare_peer_port] { refuse_until_over(spare_peer_port); });
}

void SimServer::refuse_until_over(int spare_peer_port) {
  {
    std::lock_guard lock(lifecycle_mutex_);
    // New connections are refused from here on (nothing listens on the port); the open ones
    // are cut, as a server that goes down does.
    server_->stop();
    cut_connections(port_, std::nullopt, spare_peer_port);
    if (listener_.joinable()) listener_.join();
  }
  const std::int64_t until = state_->outage.until_us();
  while (state_->now_us() < until) {
    if (!state_->stop.sleep_for(std::chrono::milliseconds(10))) return;
  }
  // The same port again. SO_REUSEADDR lets it bind while old connections sit in TIME_WAIT; if
  // something else took the port meanwhile, keep trying: the outage just lasts longer.
  while (true) {
    {
      std::lock_guard lock(lifecycle_mutex_);
      if (!running_) return;
      if (server_->bind_to_port(state_->config.listen_host, port_)) {
        state_->outage.end_refusal();
        start_listener();
        return;
      }
    }
    if (!state_->stop.sleep_for(std::chrono::milliseconds(100))) return;
  }
}

const std::string& SimServer::host() const { return state_->config.listen_host; }

std::string SimServer::url() const {
  const std::string& h = host();
  const bool v6 = h.find(':') != std::string::npos;
  return "http://" + (v6 ? "[" + h + "]" : h) + ":" + std::to_string(port_);
}

World& SimServer::world() { return state_->world; }

const SimConfig& SimServer::config() const { return state_->config; }

}  // namespace swr::sim
