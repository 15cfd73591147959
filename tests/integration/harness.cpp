#include "harness.h"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <httplib.h>
#include <poll.h>
#include <rapidjson/document.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

namespace swr::test {

std::string exporter_binary() { return SWR_EXPORTER_BIN; }
std::string sim_binary() { return SWR_SIM_BIN; }
std::string data_dir() { return SWR_TEST_DATA_DIR; }

std::string test_log_dir() {
  const char* dir = std::getenv("SWR_TEST_LOG_DIR");
  return dir ? dir : "";
}

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "swr-it-XXXXXX").string();
  REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::string TempDir::write(const std::string& name, const std::string& text, int mode) const {
  const std::string file = path_ + "/" + name;
  {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out << text;
  }
  ::chmod(file.c_str(), static_cast<mode_t>(mode));
  return file;
}

namespace {

std::vector<char*> c_args(const std::vector<std::string>& argv) {
  std::vector<char*> out;
  for (const auto& a : argv) out.push_back(const_cast<char*>(a.c_str()));
  out.push_back(nullptr);
  return out;
}

std::vector<std::string> environment_with(const std::vector<std::string>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) {
    const std::string entry = *e;
    // The tests decide the credentials; none leak in from the caller's environment.
    if (entry.starts_with("HUAWEICLOUD_SDK_") || entry.starts_with("SWR_EXPORTER_PASSWORD=")) {
      continue;
    }
    env.push_back(entry);
  }
  for (const auto& e : extra) env.push_back(e);
  return env;
}

pid_t spawn(const std::vector<std::string>& argv, int stdout_fd, int stderr_fd,
            const std::vector<std::string>& extra_env) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, stdout_fd, 1);
  posix_spawn_file_actions_adddup2(&actions, stderr_fd, 2);
  const auto env = environment_with(extra_env);
  auto args = c_args(argv);
  auto envp = c_args(env);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, argv[0].c_str(), &actions, nullptr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  REQUIRE_MESSAGE(rc == 0, "cannot start " << argv[0]);
  return pid;
}

std::string slurp(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

bool is_logged_binary(const std::vector<std::string>& argv) {
  return !argv.empty() && (argv[0] == exporter_binary() || argv[0] == sim_binary());
}

// The exporter at debug level, unless the test chose a level (or tests a bad one).
std::vector<std::string> with_debug_logging(std::vector<std::string> argv) {
  if (argv.empty() || argv[0] != exporter_binary()) return argv;
  for (const std::string& arg : argv) {
    if (arg == "--log.level" || arg.starts_with("--log.level=")) return argv;
  }
  argv.push_back("--log.level");
  argv.push_back("debug");
  return argv;
}

std::string command_line(const std::vector<std::string>& argv) {
  std::string out;
  for (const std::string& arg : argv) out += (out.empty() ? "" : " ") + arg;
  return out;
}

// Names the log file of a process just started and lists it in the manifest; "" when logs are
// not kept or the process is neither the exporter nor swr-sim.
std::string claim_log(const std::vector<std::string>& argv, pid_t pid) {
  const std::string dir = test_log_dir();
  if (dir.empty() || !is_logged_binary(argv)) return {};
  static std::atomic<int> sequence{0};
  const std::string name = std::filesystem::path(argv[0]).filename().string() + "-" +
                           std::to_string(pid) + "-by-integration-" + std::to_string(::getpid()) +
                           "-" + std::to_string(sequence++) + ".log";
  std::error_code ignored;
  std::filesystem::create_directories(dir + "/manifest", ignored);
  std::ofstream(dir + "/manifest/" + name) << command_line(argv) << "\n";
  return dir + "/" + name;
}

void write_log(const std::string& file, const std::vector<std::string>& argv, int exit_code,
               const std::string& out, const std::string& err) {
  if (file.empty()) return;
  std::ofstream log(file, std::ios::binary | std::ios::trunc);
  log << "# argv: " << command_line(argv) << "\n# exit: " << exit_code << "\n# --- stdout\n"
      << out << (out.empty() || out.back() == '\n' ? "" : "\n") << "# --- stderr\n"
      << err;
  CHECK_MESSAGE(log.good(), "cannot write the process log " << file);
}

}  // namespace

RunResult run(const std::vector<std::string>& argv_in, std::chrono::milliseconds limit,
              const std::vector<std::string>& extra_env) {
  const std::vector<std::string> argv = with_debug_logging(argv_in);
  TempDir dir;
  const std::string out_file = dir.path() + "/out", err_file = dir.path() + "/err";
  const int out_fd = ::open(out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  const int err_fd = ::open(err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  const pid_t pid = spawn(argv, out_fd, err_fd, extra_env);
  const std::string log_file = claim_log(argv, pid);
  ::close(out_fd);
  ::close(err_fd);
  RunResult result;
  const auto deadline = std::chrono::steady_clock::now() + limit;
  int status = 0;
  while (true) {
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) {
      result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      break;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  result.out = slurp(out_file);
  result.err = slurp(err_file);
  write_log(log_file, argv, result.exit_code, result.out, result.err);
  return result;
}

Process::Process(const std::vector<std::string>& argv, const std::string& stderr_file,
                 const std::vector<std::string>& extra_env)
    : stderr_file_(stderr_file), argv_(with_debug_logging(argv)) {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  const int err_fd = ::open(stderr_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  pid_ = spawn(argv_, fds[1], err_fd, extra_env);
  ::close(fds[1]);
  ::close(err_fd);
  out_fd_ = fds[0];
  log_file_ = claim_log(argv_, pid_);
}

Process::~Process() {
  if (!reaped_ && pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  keep_log();
  if (out_fd_ >= 0) ::close(out_fd_);
}

// Once the process is gone: what it wrote to stdout (read by read_line or still in the pipe)
// and its stderr file, into the test log directory.
void Process::keep_log() {
  if (log_file_.empty()) return;
  if (out_fd_ >= 0) {
    ::fcntl(out_fd_, F_SETFL, ::fcntl(out_fd_, F_GETFL) | O_NONBLOCK);
    char buf[4096];
    for (ssize_t n; (n = ::read(out_fd_, buf, sizeof buf)) > 0;) {
      stdout_seen_.append(buf, static_cast<std::size_t>(n));
    }
  }
  write_log(log_file_, argv_, exit_code_, stdout_seen_, stderr_text());
}

std::optional<std::string> Process::read_line(std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (true) {
    if (const auto nl = buffer_.find('\n'); nl != std::string::npos) {
      std::string line = buffer_.substr(0, nl);
      buffer_.erase(0, nl + 1);
      return line;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    pollfd p{out_fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return std::nullopt;
    char buf[4096];
    const ssize_t n = ::read(out_fd_, buf, sizeof buf);
    if (n <= 0) return std::nullopt;
    buffer_.append(buf, static_cast<std::size_t>(n));
    stdout_seen_.append(buf, static_cast<std::size_t>(n));
  }
}

std::optional<std::string> Process::wait_for_stderr(const std::string& needle,
                                                    std::chrono::milliseconds limit) const {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    std::istringstream lines(slurp(stderr_file_));
    for (std::string line; std::getline(lines, line);) {
      if (line.find(needle) != std::string::npos) return line;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return std::nullopt;
}

void Process::signal(int sig) {
  if (!reaped_) ::kill(pid_, sig);
}

std::optional<int> Process::wait(std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (true) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      reaped_ = true;
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      return exit_code_;
    }
    if (std::chrono::steady_clock::now() > deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

std::string Process::stderr_text() const { return slurp(stderr_file_); }

Sim::Sim(const std::string& toml) {
  const std::string config = dir_.write("sim.toml", toml);
  // --verbose: its access log goes through the secret scan too.
  process_ = std::make_unique<Process>(
      std::vector<std::string>{sim_binary(), "--config", config, "--verbose"},
      dir_.path() + "/sim.err");
  const auto line = process_->read_line(std::chrono::seconds(20));
  REQUIRE_MESSAGE(line, "swr-sim did not start: " << process_->stderr_text());
  const std::string prefix = "swr-sim listening on ";
  REQUIRE_MESSAGE(line->rfind(prefix, 0) == 0, "unexpected first line: " << *line);
  url_ = line->substr(prefix.size());
  port_ = std::stoi(url_.substr(url_.rfind(':') + 1));
}

std::string Sim::admin_post(const std::string& path, const std::string& body) const {
  httplib::Client client("127.0.0.1", port_);
  auto result = client.Post(path.c_str(), body, "application/json");
  REQUIRE_MESSAGE(result, "admin POST " << path << " failed");
  REQUIRE_MESSAGE(result->status == 200,
                  "admin POST " << path << ": " << result->status << " " << result->body);
  return result->body;
}

std::string Sim::admin_get(const std::string& path) const {
  httplib::Client client("127.0.0.1", port_);
  auto result = client.Get(path.c_str());
  REQUIRE_MESSAGE(result, "admin GET " << path << " failed");
  REQUIRE(result->status == 200);
  return result->body;
}

long Sim::requests(const std::string& api) const {
  const std::string body = admin_get("/_sim/stats");
  rapidjson::Document doc;
  doc.Parse(body.c_str());
  REQUIRE(doc.IsObject());
  const auto& requests = doc["requests"];
  if (!requests.HasMember(api.c_str())) return 0;
  return static_cast<long>(requests[api.c_str()].GetInt64());
}

long Sim::jobs() const {
  const std::string body = admin_get("/_sim/stats");
  rapidjson::Document doc;
  doc.Parse(body.c_str());
  REQUIRE(doc.IsObject());
  REQUIRE(doc["jobs"].IsUint64());
  return static_cast<long>(doc["jobs"].GetUint64());
}

void Sim::outage(const std::string& kind, double seconds) const {
  admin_post("/_sim/outage",
             "{\"kind\":\"" + kind + "\",\"seconds\":" + std::to_string(seconds) + "}");
}

std::string aksk_auth() {
  return std::string("[auth]\nmethod = \"aksk\"\naccess_key = \"") + kSimAccessKey +
         "\"\nsecret_key = \"" + kSimSecretKey + "\"\n";
}

std::string exporter_config(const Sim& sim, const std::string& auth_toml,
                            const std::string& rest_toml) {
  return "[huaweicloud]\nregion = \"cn-north-4\"\nswr_endpoint = \"" + sim.url() +
         "\"\niam_endpoint = \"" + sim.url() + "\"\n\n" + auth_toml + "\n" + rest_toml;
}

namespace {

// Reads a label value in the text format's escaping.
std::string read_quoted(const std::string& line, std::size_t& pos) {
  std::string out;
  ++pos;  // opening quote
  while (pos < line.size() && line[pos] != '"') {
    if (line[pos] == '\\' && pos + 1 < line.size()) {
      const char next = line[pos + 1];
      out.push_back(next == 'n' ? '\n' : next);
      pos += 2;
    } else {
      out.push_back(line[pos++]);
    }
  }
  ++pos;  // closing quote
  return out;
}

std::string escape(const std::string& value) {
  std::string out;
  for (const char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace

std::string series(const std::string& name, std::map<std::string, std::string> labels) {
  if (labels.empty()) return name;
  std::string out = name + "{";
  bool first = true;
  for (const auto& [k, v] : labels) {
    if (!first) out += ",";
    first = false;
    out += k + "=\"" + escape(v) + "\"";
  }
  return out + "}";
}

Samples parse_exposition(const std::string& text) {
  Samples samples;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line[0] == '#') continue;
    std::size_t pos = 0;
    while (pos < line.size() && line[pos] != '{' && line[pos] != ' ') ++pos;
    const std::string name = line.substr(0, pos);
    std::map<std::string, std::string> labels;
    if (pos < line.size() && line[pos] == '{') {
      ++pos;
      while (pos < line.size() && line[pos] != '}') {
        const std::size_t eq = line.find('=', pos);
        const std::string key = line.substr(pos, eq - pos);
        pos = eq + 1;
        labels[key] = read_quoted(line, pos);
        if (pos < line.size() && line[pos] == ',') ++pos;
      }
      ++pos;
    }
    while (pos < line.size() && line[pos] == ' ') ++pos;
    const std::string value = line.substr(pos, line.find(' ', pos) - pos);
    double v = 0;
    if (value == "+Inf") {
      v = HUGE_VAL;
    } else if (value == "-Inf") {
      v = -HUGE_VAL;
    } else if (value == "NaN") {
      v = std::nan("");
    } else {
      v = std::strtod(value.c_str(), nullptr);
    }
    samples[series(name, labels)] = v;
  }
  return samples;
}

std::vector<std::pair<std::string, double>> samples_of(const Samples& samples,
                                                       const std::string& name) {
  std::vector<std::pair<std::string, double>> out;
  for (const auto& [key, value] : samples) {
    if (key == name || key.rfind(name + "{", 0) == 0) out.emplace_back(key, value);
  }
  return out;
}

std::string promtool_check_metrics(const std::string& exposition) {
  TempDir dir;
  const std::string file = dir.write("metrics.prom", exposition);
  const RunResult r = run({"/bin/sh", "-c", "promtool check metrics < '" + file + "'"});
  if (r.exit_code == 0 && r.out.empty() && r.err.empty()) return {};
  return "exit " + std::to_string(r.exit_code) + ": " + r.out + r.err;
}

std::string http_get(int port, const std::string& path,
                     const std::vector<std::pair<std::string, std::string>>& headers, int* status,
                     std::map<std::string, std::string>* response_headers) {
  httplib::Client client("127.0.0.1", port);
  client.set_decompress(false);
  httplib::Headers h;
  for (const auto& [k, v] : headers) h.emplace(k, v);
  auto result = client.Get(path.c_str(), h);
  if (!result) {
    if (status) *status = 0;
    return {};
  }
  if (status) *status = result->status;
  if (response_headers) {
    for (const auto& [k, v] : result->headers) (*response_headers)[k] = v;
  }
  return result->body;
}

Exporter::Exporter(const TempDir& dir, const std::string& config_file,
                   const std::vector<std::string>& extra_args) {
  std::vector<std::string> argv = {exporter_binary(), "--config", config_file,
                                   "--web.listen-address", "127.0.0.1:0"};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  static std::atomic<int> sequence{0};
  process_ = std::make_unique<Process>(
      argv, dir.path() + "/exporter-" + std::to_string(sequence++) + ".err");
  const auto listening = process_->wait_for_stderr("msg=listening", std::chrono::seconds(10));
  REQUIRE_MESSAGE(listening, process_->stderr_text());
  port_ = std::stoi(listening->substr(listening->find("port=") + 5));
}

std::string Exporter::metrics_text() const { return http_get(port_, "/metrics"); }

namespace {

long status_kib(pid_t pid, const std::string& key) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.starts_with(key + ":")) return std::stol(line.substr(key.size() + 1));
  }
  return -1;
}

}  // namespace

long resident_kib(pid_t pid) { return status_kib(pid, "VmRSS"); }
long peak_resident_kib(pid_t pid) { return status_kib(pid, "VmHWM"); }

long open_fds(pid_t pid) {
  std::error_code ec;
  long n = 0;
  for (std::filesystem::directory_iterator it("/proc/" + std::to_string(pid) + "/fd", ec), end;
       !ec && it != end; it.increment(ec)) {
    ++n;
  }
  return ec ? -1 : n;
}

double value(const Samples& s, const std::string& name, const Labels& labels) {
  const auto it = s.find(series(name, labels));
  if (it == s.end()) {
    FAIL_CHECK("missing series " << series(name, labels));
    return std::nan("");
  }
  return it->second;
}

bool has(const Samples& s, const std::string& name, const Labels& labels) {
  return s.count(series(name, labels)) > 0;
}

}  // namespace swr::test
