// SIGTERM while a request hangs: the stop cancels the request in flight, the poll loop ends and
// the exporter exits 0 through its normal path ("stopped" is logged after the poll loop is
// joined), within 2 s whatever scrape.timeout says.
#include <doctest/doctest.h>
#include <signal.h>

#include <chrono>
#include <string>
#include <thread>

#include "harness.h"

using namespace swr::test;
using namespace std::chrono_literals;

namespace {

const std::string kKnownWorld = data_dir() + "/known_world.json";

// Far longer than the 2 s a stop may take: only a cancelled request lets the exporter go in time.
const std::string kPatientScrape =
    "[scrape]\ninterval = \"1s\"\ntimeout = \"60s\"\nconcurrency = 2\n"
    "recheck_interval = \"0s\"\n"
    "[[targets]]\norganization = \"team-a\"\nrepositories = [\"app1\", \"team/app2\"]\n";

void check_clean_stop(Exporter& exporter) {
  const auto start = std::chrono::steady_clock::now();
  exporter.process().signal(SIGTERM);
  const auto code = exporter.process().wait(30s);
  const auto took = std::chrono::steady_clock::now() - start;
  CHECK(code == 0);
  CHECK(took < 2s);
  const std::string log = exporter.process().stderr_text();
  CHECK(log.find("msg=stopping") != std::string::npos);
  CHECK(log.find("msg=stopped") != std::string::npos);
}

// SIGSTOP for the life of the object: the kernel still accepts connections to the simulator's
// port, nothing answers on them.
class Frozen {
 public:
  explicit Frozen(const Sim& sim) : pid_(sim.process().pid()) { ::kill(pid_, SIGSTOP); }
  ~Frozen() { ::kill(pid_, SIGCONT); }
  Frozen(const Frozen&) = delete;
  Frozen& operator=(const Frozen&) = delete;

 private:
  pid_t pid_;
};

}  // namespace

TEST_CASE("SIGTERM while a sync_job request hangs: a clean exit within 2 s") {
  // app1's sync_job requests are answered after 60 s.
  Sim sim("data = \"" + kKnownWorld +
          "\"\n[[faults]]\norganization = \"team-a\"\nrepository = \"app1\"\nkind = \"slow\"\n"
          "delay = \"60s\"\n");
  TempDir dir;
  const std::string config =
      dir.write("config.toml", exporter_config(sim, aksk_auth(), kPatientScrape));
  Exporter exporter(dir, config);
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (sim.admin_get("/_sim/stats").find("\"team-a/app1\"") == std::string::npos &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);
  }
  REQUIRE(sim.admin_get("/_sim/stats").find("\"team-a/app1\"") != std::string::npos);
  std::this_thread::sleep_for(200ms);  // the request is in the simulator's delay
  check_clean_stop(exporter);
}

TEST_CASE("SIGTERM while the first request hangs on a server that answers nothing") {
  Sim sim("data = \"" + kKnownWorld + "\"\n");
  TempDir dir;
  SUBCASE("AK/SK: an SWR request") {
    const std::string config =
        dir.write("config.toml", exporter_config(sim, aksk_auth(), kPatientScrape));
    const Frozen frozen(sim);
    Exporter exporter(dir, config);
    std::this_thread::sleep_for(500ms);  // the first request is out
    check_clean_stop(exporter);
  }
  SUBCASE("password: the IAM token request (a POST)") {
    dir.write("password", kSimPassword);
    const std::string auth =
        "[auth]\nmethod = \"password\"\ndomain_name = \"sim-domain\"\n"
        "user_name = \"sim-user\"\npassword_file = \"" +
        dir.path() + "/password\"\n";
    const std::string config = dir.write("config.toml", exporter_config(sim, auth, kPatientScrape));
    const Frozen frozen(sim);
    Exporter exporter(dir, config);
    std::this_thread::sleep_for(500ms);
    check_clean_stop(exporter);
  }
}
