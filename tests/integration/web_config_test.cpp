// --web.config.file against real TLS clients: the exporter as a process, curl and openssl
// s_client as processes, and a CA, server and client certificates made with the openssl CLI for
// each test.
#include <crypt.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <regex>
#include <thread>

#include "harness.h"

using namespace swr::test;
using namespace std::chrono_literals;

namespace {

// A tool's full path from PATH (the harness spawns without a PATH search). These tests are never
// skipped: a missing tool fails them (scripts/install-deps.sh installs curl and openssl).
std::string tool(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::string dirs = path != nullptr ? path : "/usr/bin:/bin";
  for (std::size_t start = 0; start <= dirs.size();) {
    const std::size_t end = std::min(dirs.find(':', start), dirs.size());
    const std::string candidate = dirs.substr(start, end - start) + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  FAIL(name << " is not installed: run scripts/install-deps.sh");
  return name;
}

// Runs a command that must work (certificate generation); fails the test with its output if not.
void must_run(const std::vector<std::string>& argv) {
  const RunResult r = run(argv, 60s);
  std::string command;
  for (const auto& a : argv) command += a + " ";
  REQUIRE_MESSAGE(r.exit_code == 0, command << "exited " << r.exit_code << ": " << r.err);
}

// A CA, a server certificate for localhost and 127.0.0.1, and client certificates, as PEM files.
struct Pki {
  const TempDir& dir;
  std::string file(const std::string& name) const { return dir.path() + "/" + name; }

  void make_ca(const std::string& name) const {
    must_run({tool("openssl"), "req", "-x509", "-newkey", "ec", "-pkeyopt",
              "ec_paramgen_curve:P-256", "-nodes", "-keyout", file(name + ".key"), "-out",
              file(name + ".pem"), "-days", "2", "-subj", "/CN=" + name});
  }

  // A certificate signed by `ca` with the given extensions (subjectAltName, extendedKeyUsage).
  void make_leaf(const std::string& name, const std::string& ca,
                 const std::string& extensions) const {
    const std::string ext = dir.write(name + ".ext", extensions);
    must_run({tool("openssl"), "req", "-new", "-newkey", "ec", "-pkeyopt",
              "ec_paramgen_curve:P-256", "-nodes", "-keyout", file(name + ".key"), "-out",
              file(name + ".csr"), "-subj", "/CN=" + name});
    must_run({tool("openssl"), "x509", "-req", "-in", file(name + ".csr"), "-CA", file(ca + ".pem"),
              "-CAkey", file(ca + ".key"), "-CAcreateserial", "-out", file(name + ".pem"), "-days",
              "2", "-extfile", ext});
  }

  explicit Pki(const TempDir& d) : dir(d) {
    make_ca("ca");
    make_ca("other-ca");
    make_leaf("server", "ca",
              "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n");
    make_leaf("client", "ca", "subjectAltName=DNS:scraper.example\nextendedKeyUsage=clientAuth\n");
    make_leaf("intruder", "ca",
              "subjectAltName=DNS:intruder.example,IP:10.9.8.7\nextendedKeyUsage=clientAuth\n");
    make_leaf("stranger", "other-ca",
              "subjectAltName=DNS:scraper.example\nextendedKeyUsage=clientAuth\n");
  }
};

std::string bcrypt_hash(const std::string& password) {
  char setting[CRYPT_GENSALT_OUTPUT_SIZE];
  REQUIRE(crypt_gensalt_rn("$2b$", 5, nullptr, 0, setting, sizeof setting) != nullptr);
  crypt_data data{};
  const char* hash = crypt_rn(password.c_str(), setting, &data, sizeof data);
  REQUIRE((hash != nullptr && hash[0] != '*'));
  return hash;
}

// An exporter config whose cloud is unreachable: these tests are about serving, not polling.
std::string exporter_toml() {
  return "[huaweicloud]\nregion = \"cn-north-4\"\nswr_endpoint = \"http://127.0.0.1:9\"\n"
         "iam_endpoint = \"http://127.0.0.1:9\"\n\n[auth]\nmethod = \"aksk\"\naccess_key = "
         "\"AKTEST\"\nsecret_key = \"sk-test\"\n\n[scrape]\ninterval = \"1h\"\n\n[[targets]]\n"
         "organization = \"team-a\"\nrepositories = [\"app1\"]\n";
}

struct WebExporter {
  std::unique_ptr<Process> process;
  int port = 0;
  std::string stderr_text() const { return process->stderr_text(); }
};

WebExporter start_exporter(const TempDir& dir, const std::string& web_config_file,
                           const std::string& name = "exporter") {
  const std::string config = dir.write(name + ".toml", exporter_toml());
  WebExporter e;
  e.process = std::make_unique<Process>(
      std::vector<std::string>{exporter_binary(), "--config", config, "--web.listen-address",
                               "127.0.0.1:0", "--web.config.file=" + web_config_file, "--log.level",
                               "debug"},
      dir.path() + "/" + name + ".err");
  const auto listening = e.process->wait_for_stderr("msg=listening", 10s);
  REQUIRE_MESSAGE(listening, e.process->stderr_text());
  e.port = std::stoi(listening->substr(listening->find("port=") + 5));
  return e;
}

struct Response {
  int exit_code = -1;  // curl's: 0 when an HTTP response came back
  int status = 0;
  std::string headers;
  std::string body;
  std::string err;
};

// curl with the given options; the URL is https://localhost:PORT/PATH unless a full URL is given.
Response curl(int port, const std::string& path, const std::vector<std::string>& options = {}) {
  std::vector<std::string> argv = {tool("curl"), "-sS", "--max-time", "10", "-D", "-"};
  argv.insert(argv.end(), options.begin(), options.end());
  argv.push_back(path.starts_with("http") ? path
                                          : "https://localhost:" + std::to_string(port) + path);
  const RunResult r = run(argv, 30s);
  Response out;
  out.exit_code = r.exit_code;
  out.err = r.err;
  const auto end = r.out.find("\r\n\r\n");
  if (r.exit_code == 0 && end != std::string::npos) {
    out.headers = r.out.substr(0, end + 2);
    out.body = r.out.substr(end + 4);
    out.status = std::stoi(out.headers.substr(out.headers.find(' ') + 1, 3));
  }
  return out;
}

bool has_header(const Response& r, const std::string& line) {
  return r.headers.find(line + "\r\n") != std::string::npos;
}

// openssl s_client: whether a TLS handshake with these options completes, and what it printed.
struct Handshake {
  bool ok = false;
  std::string output;
};
Handshake s_client(int port, const std::vector<std::string>& options, bool brief = true) {
  std::vector<std::string> argv = {tool("openssl"), "s_client", "-connect",
                                   "127.0.0.1:" + std::to_string(port)};
  if (brief) argv.push_back("-brief");
  argv.insert(argv.end(), options.begin(), options.end());
  const RunResult r = run(argv, 30s);
  const std::string output = r.out + r.err;
  return {r.exit_code == 0 && (output.find("CONNECTION ESTABLISHED") != std::string::npos ||
                               output.find("Verify return code") != std::string::npos),
          output};
}

// Polls until `done` holds (a reload is checked at most once a second), up to 10 s.
template <typename F>
bool eventually(F done) {
  for (int i = 0; i < 100; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(100ms);
  }
  return false;
}

// A raw TCP connection to the port, for clients that misbehave below TLS.
int connect_raw(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  return fd;
}

std::string tls_yaml(const Pki& pki, const std::string& extra = "") {
  return "tls_server_config:\n  cert_file: " + pki.file("server.pem") +
         "\n  key_file: " + pki.file("server.key") + "\n" + extra;
}

std::vector<std::string> with_ca(const Pki& pki, std::vector<std::string> options = {}) {
  options.insert(options.begin(), {"--cacert", pki.file("ca.pem")});
  return options;
}

std::vector<std::string> client_cert(const Pki& pki, const std::string& name) {
  return with_ca(pki, {"--cert", pki.file(name + ".pem"), "--key", pki.file(name + ".key")});
}

}  // namespace

TEST_CASE("web config: HTTPS on every endpoint; plain HTTP and broken clients harm nothing") {
  TempDir dir;
  const Pki pki(dir);
  const std::string web = dir.write(
      "web.yml", tls_yaml(pki,
                          "http_server_config:\n  http2: true\n  headers:\n"
                          "    X-Frame-Options: deny\n    X-Content-Type-Options: nosniff\n"
                          "    Strict-Transport-Security: max-age=31536000\n"));
  WebExporter exporter = start_exporter(dir, web);
  CHECK(exporter.stderr_text().find("tls=true") != std::string::npos);
  CHECK(exporter.stderr_text().find("http_server_config.http2 has no effect") != std::string::npos);

  const Response metrics = curl(exporter.port, "/metrics", with_ca(pki));
  REQUIRE_MESSAGE(metrics.exit_code == 0, metrics.err);
  CHECK(metrics.status == 200);
  CHECK(metrics.body.find("swr_exporter_build_info{") != std::string::npos);
  for (const std::string path : {"/metrics", "/", "/-/healthy", "/-/ready", "/nope"}) {
    CAPTURE(path);
    const Response r = curl(exporter.port, path, with_ca(pki));
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    CHECK(r.status == (path == "/nope" ? 404 : path == "/-/ready" ? 503 : 200));
    CHECK(has_header(r, "X-Frame-Options: deny"));
    CHECK(has_header(r, "X-Content-Type-Options: nosniff"));
    CHECK(has_header(r, "Strict-Transport-Security: max-age=31536000"));
  }
  // The IP SAN, and HTTP/1.1 even when the client offers HTTP/2.
  const Response by_ip =
      curl(exporter.port, "https://127.0.0.1:" + std::to_string(exporter.port) + "/-/healthy",
           with_ca(pki, {"--http2"}));
  CHECK(by_ip.status == 200);
  CHECK(by_ip.headers.starts_with("HTTP/1.1 200"));

  // The certificate is checked by clients: without the CA, curl refuses it.
  const Response untrusted = curl(exporter.port, "/metrics");
  CHECK(untrusted.exit_code == 60);

  // Plain HTTP to the TLS port: a 400 saying so, as Go's server answers.
  const Response plain =
      curl(exporter.port, "http://127.0.0.1:" + std::to_string(exporter.port) + "/metrics");
  REQUIRE_MESSAGE(plain.exit_code == 0, plain.err);
  CHECK(plain.status == 400);
  CHECK(plain.body == "Client sent an HTTP request to an HTTPS server.\n");

  // Garbage, a client that stalls in the handshake, and one that hangs up mid-way: the server
  // keeps serving others meanwhile.
  const int garbage = connect_raw(exporter.port);
  CHECK(::send(garbage, "\x16\x03\x01\x00\x05hello", 10, MSG_NOSIGNAL) == 10);
  const int stalled = connect_raw(exporter.port);
  const int hangup = connect_raw(exporter.port);
  CHECK(::send(hangup, "\x16\x03\x01\x02\x00\x01", 6, MSG_NOSIGNAL) == 6);
  ::close(hangup);
  const Response meanwhile = curl(exporter.port, "/-/healthy", with_ca(pki));
  CHECK(meanwhile.status == 200);
  ::close(garbage);
  ::close(stalled);
  CHECK(curl(exporter.port, "/metrics", with_ca(pki)).status == 200);
  CHECK(exporter.stderr_text().find("msg=\"TLS handshake failed\"") != std::string::npos);

  // Two requests on one TLS connection (keep-alive).
  const std::string url = "https://localhost:" + std::to_string(exporter.port) + "/metrics";
  const Response twice = curl(exporter.port, "/metrics", with_ca(pki, {"-v", url}));
  CHECK(twice.status == 200);
  CHECK(twice.body.find("HTTP/1.1 200") != std::string::npos);
  CHECK(twice.err.find("Re-using existing connection") != std::string::npos);

  exporter.process->signal(SIGTERM);
  CHECK(exporter.process->wait(5s) == 0);
}

TEST_CASE("web config: min_version and max_version refuse what they exclude") {
  TempDir dir;
  const Pki pki(dir);
  SUBCASE("the default: TLS 1.2 and 1.3, not 1.1") {
    WebExporter exporter = start_exporter(dir, dir.write("web.yml", tls_yaml(pki)));
    CHECK(s_client(exporter.port, {"-tls1_3"}).ok);
    const Handshake tls12 = s_client(exporter.port, {"-tls1_2"});
    CHECK(tls12.ok);
    CHECK(tls12.output.find("Protocol version: TLSv1.2") != std::string::npos);
    // The client allows TLS 1.1 (security level 0); the server refuses it.
    const Handshake tls11 = s_client(exporter.port, {"-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"});
    CHECK_FALSE(tls11.ok);
    CHECK(tls11.output.find("protocol version") != std::string::npos);
    CHECK(
        curl(exporter.port, "/-/healthy", with_ca(pki, {"--tlsv1.2", "--tls-max", "1.2"})).status ==
        200);
  }
  SUBCASE("min_version TLS13 refuses TLS 1.2") {
    WebExporter exporter =
        start_exporter(dir, dir.write("web.yml", tls_yaml(pki, "  min_version: TLS13\n")));
    CHECK_FALSE(s_client(exporter.port, {"-tls1_2"}).ok);
    const Response tls12 =
        curl(exporter.port, "/-/healthy", with_ca(pki, {"--tlsv1.2", "--tls-max", "1.2"}));
    CHECK(tls12.exit_code != 0);
    CHECK(tls12.status == 0);
    const Response tls13 = curl(exporter.port, "/-/healthy", with_ca(pki, {"--tlsv1.3"}));
    CHECK(tls13.status == 200);
  }
  SUBCASE("max_version TLS12 refuses TLS 1.3; min_version TLS11 allows 1.1") {
    WebExporter exporter = start_exporter(
        dir, dir.write("web.yml", tls_yaml(pki,
                                           "  min_version: TLS11\n  max_version: TLS12\n"
                                           "  cipher_suites:\n"
                                           "    - TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA\n"
                                           "    - TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384\n"
                                           "  curve_preferences: [CurveP384]\n")));
    CHECK_FALSE(s_client(exporter.port, {"-tls1_3"}).ok);
    const Handshake tls12 = s_client(exporter.port, {"-tls1_2"});
    CHECK(tls12.ok);
    // The server's preference decides among the listed suites; the curve is the one listed.
    CHECK(tls12.output.find("Ciphersuite: ECDHE-ECDSA-AES128-SHA") != std::string::npos);
    CHECK(tls12.output.find("Server Temp Key: ECDH, secp384r1") != std::string::npos);
    const Handshake tls11 = s_client(exporter.port, {"-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"});
    CHECK(tls11.ok);
    CHECK(tls11.output.find("Protocol version: TLSv1.1") != std::string::npos);
    // A suite not listed is refused.
    CHECK_FALSE(
        s_client(exporter.port, {"-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256"}).ok);
  }
}

TEST_CASE("web config: each client_auth_type") {
  TempDir dir;
  const Pki pki(dir);
  struct Row {
    std::string type;
    bool with_ca;
    bool no_cert, good_cert, other_ca_cert;  // whether each client gets its 200
  };
  const std::vector<Row> rows = {
      {"NoClientCert", false, true, true, true},
      {"RequestClientCert", false, true, true, true},
      {"RequireAnyClientCert", false, false, true, true},
      {"VerifyClientCertIfGiven", true, true, true, false},
      {"RequireAndVerifyClientCert", true, false, true, false},
  };
  for (const Row& row : rows) {
    CAPTURE(row.type);
    const std::string web = dir.write(
        row.type + ".yml",
        tls_yaml(pki, "  client_auth_type: " + row.type + "\n" +
                          (row.with_ca ? "  client_ca_file: " + pki.file("ca.pem") + "\n" : "")));
    WebExporter exporter = start_exporter(dir, web, row.type);
    CHECK((curl(exporter.port, "/metrics", with_ca(pki)).status == 200) == row.no_cert);
    CHECK((curl(exporter.port, "/metrics", client_cert(pki, "client")).status == 200) ==
          row.good_cert);
    CHECK((curl(exporter.port, "/metrics", client_cert(pki, "stranger")).status == 200) ==
          row.other_ca_cert);
    if (row.type == "RequireAndVerifyClientCert") {
      // The same through openssl s_client: the CA is named in the request; a stranger's
      // certificate gets an alert.
      const Handshake named = s_client(exporter.port, {"-tls1_2"}, false);
      const Handshake stranger = s_client(
          exporter.port,
          {"-tls1_2", "-cert", pki.file("stranger.pem"), "-key", pki.file("stranger.key")});
      CHECK_FALSE(stranger.ok);
      CHECK(stranger.output.find("unknown ca") != std::string::npos);
      CHECK(s_client(exporter.port,
                     {"-tls1_2", "-cert", pki.file("client.pem"), "-key", pki.file("client.key")})
                .ok);
      CHECK_FALSE(named.ok);
      CHECK(named.output.find("Acceptable client certificate CA names\nCN = ca\n") !=
            std::string::npos);
    }
  }
}

TEST_CASE("web config: client_allowed_sans") {
  TempDir dir;
  const Pki pki(dir);
  SUBCASE("with verification") {
    WebExporter exporter = start_exporter(
        dir, dir.write("web.yml",
                       tls_yaml(pki,
                                "  client_auth_type: RequireAndVerifyClientCert\n"
                                "  client_ca_file: " +
                                    pki.file("ca.pem") +
                                    "\n  client_allowed_sans: [scraper.example, 10.0.0.1]\n")));
    CHECK(curl(exporter.port, "/metrics", client_cert(pki, "client")).status == 200);
    const Response intruder = curl(exporter.port, "/metrics", client_cert(pki, "intruder"));
    CHECK(intruder.status == 0);  // signed by the CA, but without an allowed SAN
    CHECK(curl(exporter.port, "/metrics", client_cert(pki, "stranger")).status == 0);
    CHECK(curl(exporter.port, "/metrics", with_ca(pki)).status == 0);
  }
  SUBCASE("an IP SAN, without verification") {
    WebExporter exporter = start_exporter(
        dir, dir.write("web.yml", tls_yaml(pki,
                                           "  client_auth_type: RequireAnyClientCert\n"
                                           "  client_allowed_sans: ['10.9.8.7']\n")));
    CHECK(curl(exporter.port, "/metrics", client_cert(pki, "intruder")).status == 200);
    CHECK(curl(exporter.port, "/metrics", client_cert(pki, "client")).status == 0);
  }
}

TEST_CASE("web config: basic auth on every path, over HTTPS and plain HTTP") {
  TempDir dir;
  const Pki pki(dir);
  const std::string alice = bcrypt_hash("alice-secret-pw");
  const std::string users = "basic_auth_users:\n  alice: " + alice + "\n";
  SUBCASE("HTTPS") {
    WebExporter exporter =
        start_exporter(dir, dir.write("web.yml", tls_yaml(pki,
                                                          "http_server_config:\n  headers:\n"
                                                          "    X-Frame-Options: sameorigin\n" +
                                                              users)));
    for (const std::string path : {"/metrics", "/", "/-/healthy", "/-/ready"}) {
      CAPTURE(path);
      const Response good =
          curl(exporter.port, path, with_ca(pki, {"-u", "alice:alice-secret-pw"}));
      CHECK(good.status == (path == "/-/ready" ? 503 : 200));
      for (const std::string credentials : {"alice:wrong", "mallory:alice-secret-pw", ""}) {
        CAPTURE(credentials);
        const Response refused =
            curl(exporter.port, path,
                 credentials.empty() ? with_ca(pki) : with_ca(pki, {"-u", credentials}));
        CHECK(refused.status == 401);
        CHECK(has_header(refused, "WWW-Authenticate: Basic"));
        CHECK(has_header(refused, "X-Frame-Options: sameorigin"));
        CHECK(refused.body == "Unauthorized\n");
      }
    }
    // A POST without credentials: refused before anything else, and the connection closed.
    const Response post = curl(exporter.port, "/-/reload", with_ca(pki, {"-X", "POST"}));
    CHECK(post.status == 401);
    const std::string log = exporter.stderr_text();
    CHECK(log.find("alice-secret-pw") == std::string::npos);
    CHECK(log.find(alice.substr(7)) == std::string::npos);
  }
  SUBCASE("plain HTTP") {
    WebExporter exporter = start_exporter(dir, dir.write("web.yml", users));
    CHECK(exporter.stderr_text().find("tls=false") != std::string::npos);
    int status = 0;
    std::map<std::string, std::string> headers;
    http_get(exporter.port, "/-/healthy", {}, &status, &headers);
    CHECK(status == 401);
    CHECK(headers["WWW-Authenticate"] == "Basic");
    const std::string body = http_get(exporter.port, "/metrics",
                                      {{"Authorization", "Basic YWxpY2U6YWxpY2Utc2VjcmV0LXB3"}},
                                      &status);  // alice:alice-secret-pw
    CHECK(status == 200);
    CHECK(body.find("swr_exporter_build_info{") != std::string::npos);
  }
}

TEST_CASE("web config: reloads users and certificates; a broken edit keeps the last good one") {
  TempDir dir;
  const Pki pki(dir);
  pki.make_leaf("server2", "ca", "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
  std::filesystem::copy_file(pki.file("server.pem"), pki.file("live.pem"));
  std::filesystem::copy_file(pki.file("server.key"), pki.file("live.key"));
  const std::string one = bcrypt_hash("password-one");
  const std::string two = bcrypt_hash("password-two");
  const auto web_yaml = [&](const std::string& hash) {
    return "tls_server_config:\n  cert_file: live.pem\n  key_file: live.key\n"
           "basic_auth_users:\n  alice: " +
           hash + "\n";
  };
  const std::string web = dir.write("web.yml", web_yaml(one));
  WebExporter exporter = start_exporter(dir, web);
  const auto status_with = [&](const std::string& password) {
    return curl(exporter.port, "/metrics", with_ca(pki, {"-u", "alice:" + password})).status;
  };
  CHECK(status_with("password-one") == 200);
  CHECK(status_with("password-two") == 401);

  // The users change: a new connection sees the new hash.
  dir.write("web.yml", web_yaml(two));
  CHECK(eventually([&] { return status_with("password-two") == 200; }));
  CHECK(status_with("password-one") == 401);
  CHECK(exporter.process->wait_for_stderr("msg=\"web configuration reloaded\"", 1s));

  // The certificate and key are replaced on disk: new connections get the new certificate.
  const auto subject = [&] {
    const Handshake h = s_client(exporter.port, {"-CAfile", pki.file("ca.pem")});
    const auto at = h.output.find("Peer certificate: ");
    return at == std::string::npos ? std::string()
                                   : h.output.substr(at, h.output.find('\n', at) - at);
  };
  CHECK(subject() == "Peer certificate: CN = server");
  std::filesystem::copy_file(pki.file("server2.pem"), pki.file("live.pem"),
                             std::filesystem::copy_options::overwrite_existing);
  std::filesystem::copy_file(pki.file("server2.key"), pki.file("live.key"),
                             std::filesystem::copy_options::overwrite_existing);
  CHECK(eventually([&] { return subject() == "Peer certificate: CN = server2"; }));
  CHECK(status_with("password-two") == 200);

  // A broken edit: logged with the place (at the next connection: files are checked then), and
  // the last good config keeps serving.
  dir.write("web.yml", web_yaml(two) + "  bob: not-a-hash\n");
  CHECK(eventually([&] {
    CHECK(status_with("password-two") == 200);
    return exporter.stderr_text().find("web configuration not reloaded") != std::string::npos;
  }));
  const auto logged = exporter.process->wait_for_stderr("web configuration not reloaded", 1s);
  REQUIRE(logged.has_value());
  CHECK(logged->find("level=error") != std::string::npos);
  CHECK(logged->find(web + ":6:8: basic_auth_users: the password hash of user \\\"bob\\\"") !=
        std::string::npos);
  CHECK(status_with("password-two") == 200);
  CHECK(status_with("password-one") == 401);
  CHECK(subject() == "Peer certificate: CN = server2");

  // A key that no longer matches the certificate: refused, the old pair stays.
  std::filesystem::copy_file(pki.file("client.key"), pki.file("live.key"),
                             std::filesystem::copy_options::overwrite_existing);
  dir.write("web.yml", web_yaml(two));
  CHECK(eventually([&] {
    CHECK(status_with("password-two") == 200);
    return exporter.stderr_text().find("does not match the certificate") != std::string::npos;
  }));
  CHECK(subject() == "Peer certificate: CN = server2");

  const std::string log = exporter.stderr_text();
  CHECK(log.find(two.substr(7)) == std::string::npos);
  CHECK(log.find("password-two") == std::string::npos);
}

TEST_CASE("web config: an invalid file stops the start with FILE:LINE:COL") {
  TempDir dir;
  const Pki pki(dir);
  const std::string config = dir.write("exporter.toml", exporter_toml());
  struct Row {
    std::string name;
    std::string yaml;
    std::string message;
  };
  const std::vector<Row> rows = {
      {"typo", "tls_server_config:\n  cert_file: x\n  keyfile: y\n",
       ":3:3: unknown key tls_server_config.keyfile; did you mean `key_file`?"},
      {"enum", tls_yaml(pki, "  client_auth_type: RequireClientCertificate\n"),
       ":4:21: tls_server_config.client_auth_type: unknown value \"RequireClientCertificate\""},
      {"no-cert",
       "tls_server_config:\n  cert_file: /nonexistent/cert.pem\n  key_file: " +
           pki.file("server.key") + "\n",
       ":2:14: tls_server_config.cert_file: cannot read /nonexistent/cert.pem: No such file or "
       "directory"},
      {"mismatch", "tls_server_config:\n  cert_file: server.pem\n  key_file: client.key\n",
       ":3:13: tls_server_config.key_file: the private key in " + pki.file("client.key") +
           " does not match the certificate in " + pki.file("server.pem")},
      {"hash", "basic_auth_users:\n  alice: $2b$05$tooShort\n",
       ":2:10: basic_auth_users: the password hash of user \"alice\" is not a bcrypt hash"},
      {"yaml", "basic_auth_users:\n  alice: [\n", ":3:1: "},
  };
  for (const Row& row : rows) {
    CAPTURE(row.name);
    const std::string web = dir.write(row.name + ".yml", row.yaml);
    for (const bool check : {false, true}) {
      CAPTURE(check);
      std::vector<std::string> argv = {
          exporter_binary(), "--config",          config, "--web.listen-address",
          "127.0.0.1:0",     "--web.config.file", web};
      if (check) argv.push_back("--check-config");
      const RunResult r = run(argv, 20s);
      CHECK(r.exit_code == 2);
      CHECK_MESSAGE(r.err.find(web + row.message) != std::string::npos, r.err);
      CHECK(r.err.find("$2b$05$tooShort") == std::string::npos);
    }
  }
  const RunResult missing =
      run({exporter_binary(), "--config", config, "--web.config.file", dir.path() + "/missing.yml"},
          20s);
  CHECK(missing.exit_code == 2);
  CHECK(missing.err.find(dir.path() + "/missing.yml: cannot read the web configuration: No such "
                                      "file or directory") != std::string::npos);
  const RunResult good = run({exporter_binary(), "--config", config, "--web.config.file",
                              dir.write("good.yml", tls_yaml(pki)), "--check-config"},
                             20s);
  CHECK(good.exit_code == 0);
  CHECK(good.out.find("good.yml: web configuration is valid") != std::string::npos);
}
