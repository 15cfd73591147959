// Real processes for integration tests: swr-sim and swr-sync-exporter on port 0, temp files,
// and a reader of the Prometheus text format so tests assert on exact sample values.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace swr::test {

std::string exporter_binary();
std::string sim_binary();
std::string data_dir();

// $SWR_TEST_LOG_DIR, or "" when it is not set. When set, every exporter and swr-sim this harness
// starts leaves one log file there (its command line, exit code, stdout and stderr), listed
// first in its manifest/ subdirectory so the secret scan can tell a missing log from none; the
// exporter runs at --log.level debug unless the test chose a level.
std::string test_log_dir();

// A directory under /tmp removed when the object goes.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string write(const std::string& name, const std::string& text, int mode = 0600) const;

 private:
  std::string path_;
};

struct RunResult {
  int exit_code = -1;  // -1: killed on timeout
  std::string out;
  std::string err;
};

// Runs to completion, stdin closed, with a time limit.
RunResult run(const std::vector<std::string>& argv,
              std::chrono::milliseconds limit = std::chrono::seconds(60),
              const std::vector<std::string>& extra_env = {});

// A background process; stdout is a pipe read line by line, stderr goes to a file.
class Process {
 public:
  Process(const std::vector<std::string>& argv, const std::string& stderr_file,
          const std::vector<std::string>& extra_env = {});
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  std::optional<std::string> read_line(std::chrono::milliseconds limit);
  // Waits for a line of the stderr file containing `needle`.
  std::optional<std::string> wait_for_stderr(const std::string& needle,
                                             std::chrono::milliseconds limit) const;
  void signal(int sig);
  // Exit code after waiting up to `limit`; nothing if it is still running.
  std::optional<int> wait(std::chrono::milliseconds limit);
  pid_t pid() const { return pid_; }
  std::string stderr_text() const;

 private:
  void keep_log();

  pid_t pid_ = -1;
  int out_fd_ = -1;
  std::string buffer_;
  std::string stderr_file_;
  bool reaped_ = false;
  int exit_code_ = -1;
  std::vector<std::string> argv_;
  std::string log_file_;  // in test_log_dir(), or ""
  std::string stdout_seen_;
};

// swr-sim started from a TOML file; knows its URL.
class Sim {
 public:
  explicit Sim(const std::string& toml);
  const std::string& url() const { return url_; }
  int port() const { return port_; }
  // POST/GET on the admin endpoints; returns the body (throws doctest failures on errors).
  std::string admin_post(const std::string& path, const std::string& body) const;
  std::string admin_get(const std::string& path) const;
  // /_sim/stats -> requests[api]
  long requests(const std::string& api) const;
  // /_sim/stats -> jobs: every job the world holds now.
  long jobs() const;
  // POST /_sim/outage: "refuse" closes the port for `seconds` (the admin endpoints too), "503"
  // answers every API call 503.
  void outage(const std::string& kind, double seconds) const;
  std::string stderr_text() const { return process_->stderr_text(); }
  const Process& process() const { return *process_; }

 private:
  TempDir dir_;
  std::unique_ptr<Process> process_;
  std::string url_;
  int port_ = 0;
};

// Default credentials of swr-sim.
inline constexpr const char* kSimAccessKey = "SIMACCESSKEY0000";
inline constexpr const char* kSimSecretKey = "sim-secret-key";
inline constexpr const char* kSimPassword = "sim-password";

// An exporter config for `sim` with the given extra TOML appended (targets, auth overrides).
std::string exporter_config(const Sim& sim, const std::string& auth_toml,
                            const std::string& rest_toml);
std::string aksk_auth();

// Samples keyed by `name{a="x",b="y"}` with labels sorted by name and values as written.
using Samples = std::map<std::string, double>;
Samples parse_exposition(const std::string& text);
std::string series(const std::string& name, std::map<std::string, std::string> labels = {});
using Labels = std::map<std::string, std::string>;
// The value of one sample; a missing series fails the check (and gives NaN).
double value(const Samples& s, const std::string& name, const Labels& labels = {});
bool has(const Samples& s, const std::string& name, const Labels& labels = {});
// Every sample whose key starts with `name{` or equals `name`.
std::vector<std::pair<std::string, double>> samples_of(const Samples& samples,
                                                       const std::string& name);

// promtool check metrics: empty when clean, else its findings.
std::string promtool_check_metrics(const std::string& exposition);

std::string http_get(int port, const std::string& path,
                     const std::vector<std::pair<std::string, std::string>>& headers = {},
                     int* status = nullptr,
                     std::map<std::string, std::string>* response_headers = nullptr);

// The exporter serving in the background on 127.0.0.1:0 with `config_file` (and `extra_args`);
// the constructor waits for its `msg=listening` line.
class Exporter {
 public:
  Exporter(const TempDir& dir, const std::string& config_file,
           const std::vector<std::string>& extra_args = {});
  int port() const { return port_; }
  Process& process() { return *process_; }
  std::string metrics_text() const;  // GET /metrics; "" when it does not answer
  Samples metrics() const { return parse_exposition(metrics_text()); }

 private:
  std::unique_ptr<Process> process_;
  int port_ = 0;
};

// From /proc/PID/status and /proc/PID/fd; -1 when the process is gone.
long resident_kib(pid_t pid);
long peak_resident_kib(pid_t pid);  // VmHWM
long open_fds(pid_t pid);

}  // namespace swr::test
