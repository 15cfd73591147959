// --probe URL: the health check for images without a shell, against a real exporter that is
// ready, one that is not yet, a port nobody listens on, one that never answers, and HTTPS.
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "harness.h"

using namespace swr::test;
using namespace std::chrono_literals;

namespace {

// A TCP port on 127.0.0.1: listening (connections complete in the backlog and are never
// answered) or, closed at once, refusing.
class Port {
 public:
  explicit Port(bool listening) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    socklen_t size = sizeof address;
    REQUIRE(::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &size) == 0);
    port_ = ntohs(address.sin_port);
    if (listening) {
      REQUIRE(::listen(fd_, 16) == 0);
    } else {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~Port() {
    if (fd_ >= 0) ::close(fd_);
  }
  Port(const Port&) = delete;
  Port& operator=(const Port&) = delete;
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

std::string local(int port, const std::string& path, const std::string& scheme = "http") {
  return scheme + "://127.0.0.1:" + std::to_string(port) + path;
}

// The probe as a container runtime runs it: no configuration anywhere near.
RunResult probe(const std::vector<std::string>& args) {
  // --log.level given, so the harness adds none after a --probe that lacks its value.
  std::vector<std::string> argv = {exporter_binary(), "--log.level=debug", "--config",
                                   "/nonexistent/config.toml"};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv, 30s);
}

std::string one_line(const std::string& text) { return text.substr(0, text.find('\n')); }

}  // namespace

TEST_CASE("--probe: 1 while the first cycle runs, 0 once ready; /-/healthy at once") {
  // swr_endpoint never answers, so the first cycle cannot end before the test does.
  const Port hole(true);
  TempDir dir;
  const std::string config = dir.write(
      "exporter.toml",
      "[huaweicloud]\nregion = \"cn-north-4\"\nswr_endpoint = \"" + local(hole.port(), "") +
          "\"\n[auth]\naccess_key = \"a\"\nsecret_key = \"b\"\n[scrape]\ntimeout = \"60s\"\n"
          "recheck_interval = \"0s\"\n[[targets]]\norganization = \"o\"\nrepositories = [\"r\"]\n");
  Exporter waiting(dir, config);

  RunResult r = probe({"--probe", local(waiting.port(), "/-/ready")});
  CHECK(r.exit_code == 1);
  CHECK(r.out.empty());
  CHECK(r.err == "swr-sync-exporter --probe: GET " + local(waiting.port(), "/-/ready") +
                     ": HTTP 503: Not ready: the first poll cycle has not finished\n");
  r = probe({"--probe", local(waiting.port(), "/-/healthy")});
  CHECK(r.exit_code == 0);
  CHECK(r.err.empty());
  CHECK(one_line(r.out) ==
        "swr-sync-exporter --probe: GET " + local(waiting.port(), "/-/healthy") + ": HTTP 200: OK");
  // `--probe=URL` too; a 404 is a failure.
  r = probe({"--probe=" + local(waiting.port(), "/nope")});
  CHECK(r.exit_code == 1);
  CHECK(r.err.find(": HTTP 404") != std::string::npos);

  Sim sim("data = \"" + data_dir() + "/known_world.json\"\n");
  const std::string ready_config = dir.write(
      "ready.toml", exporter_config(sim, aksk_auth(),
                                    "[[targets]]\norganization = \"team-a\"\nrepositories = "
                                    "[\"app1\", \"team/app2\"]\n"));
  Exporter ready(dir, ready_config);
  int status = 0;
  for (int i = 0; i < 300 && status != 200; ++i) {
    http_get(ready.port(), "/-/ready", {}, &status);
    if (status != 200) std::this_thread::sleep_for(50ms);
  }
  REQUIRE(status == 200);
  r = probe({"--probe", local(ready.port(), "/-/ready")});
  CHECK(r.exit_code == 0);
  CHECK(r.err.empty());
  // The other one is still waiting.
  CHECK(probe({"--probe", local(waiting.port(), "/-/ready")}).exit_code == 1);
}

TEST_CASE("--probe: a refused port, a silent one, and bad usage") {
  const Port closed(false);
  RunResult r = probe({"--probe", local(closed.port(), "/-/ready")});
  CHECK(r.exit_code == 1);
  CHECK(r.out.empty());
  CHECK(r.err.starts_with("swr-sync-exporter --probe: GET " + local(closed.port(), "/-/ready") +
                          ": "));
  CHECK(r.err.find("onnect") != std::string::npos);  // curl: "Failed to connect ... refused"
  CHECK(r.err.find('\n') == r.err.size() - 1);       // one line

  // Connected, never answered: the probe gives up after its 5 s.
  const Port silent(true);
  const auto start = std::chrono::steady_clock::now();
  r = probe({"--probe", local(silent.port(), "/-/ready")});
  const auto took = std::chrono::steady_clock::now() - start;
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("timed out") != std::string::npos);
  CHECK(took >= 4s);
  CHECK(took < 15s);

  r = probe({"--probe", "ftp://127.0.0.1/"});
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("must start with http:// or https://") != std::string::npos);
  r = probe({"--probe"});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("flag --probe needs a value") != std::string::npos);
  r = probe({"--probe="});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("--probe needs a URL") != std::string::npos);
  r = probe({"--probe.insecure"});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("--probe.insecure goes with --probe") != std::string::npos);
  r = run({exporter_binary(), "--help"});
  CHECK(r.out.find("--probe URL") != std::string::npos);
}

TEST_CASE("--probe over HTTPS: the certificate is checked unless --probe.insecure") {
  TempDir dir;
  const RunResult made = run({"/usr/bin/openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                              "ec_paramgen_curve:P-256", "-nodes", "-keyout", dir.path() + "/s.key",
                              "-out", dir.path() + "/s.pem", "-days", "2", "-subj", "/CN=localhost",
                              "-addext", "subjectAltName=IP:127.0.0.1"});
  REQUIRE_MESSAGE(made.exit_code == 0, made.err);
  const std::string web =
      dir.write("web.yml", "tls_server_config:\n  cert_file: " + dir.path() +
                               "/s.pem\n  key_file: " + dir.path() + "/s.key\n");
  const Port hole(true);
  const std::string config = dir.write(
      "exporter.toml",
      "[huaweicloud]\nregion = \"cn-north-4\"\nswr_endpoint = \"" + local(hole.port(), "") +
          "\"\n[auth]\naccess_key = \"a\"\nsecret_key = \"b\"\n[scrape]\ntimeout = \"60s\"\n"
          "recheck_interval = \"0s\"\n[[targets]]\norganization = \"o\"\nrepositories = [\"r\"]\n");
  Exporter exporter(dir, config, {"--web.config.file", web});

  const std::string url = local(exporter.port(), "/-/healthy", "https");
  RunResult r = probe({"--probe", url});
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("certificate") != std::string::npos);
  CHECK(r.err.find("--probe.insecure") != std::string::npos);
  r = probe({"--probe", url, "--probe.insecure"});
  CHECK(r.exit_code == 0);
  r = probe({"--probe", local(exporter.port(), "/-/ready", "https"), "--probe.insecure"});
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("HTTP 503") != std::string::npos);
  // Plain HTTP to the TLS port: the exporter answers 400, a failure.
  r = probe({"--probe", local(exporter.port(), "/-/healthy")});
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("HTTP 400") != std::string::npos);
}
