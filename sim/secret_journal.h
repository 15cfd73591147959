// A record of every secret the simulator holds or hands out, for tests that search logs for
// them: the scanner then looks for exactly these strings instead of guessing their shape.
#pragma once

#include <mutex>
#include <string>
#include <string_view>

namespace swr::sim {

class SecretJournal {
 public:
  // Appends to DIR/swr-sim-PID.secrets (created 0600, DIR created as needed); an empty `dir`
  // records nothing.
  explicit SecretJournal(const std::string& dir);

  // One line: `kind<TAB>value`. A failure to write is reported on stderr once, not thrown: the
  // simulator keeps serving, and the scanner fails on the missing record instead.
  void record(std::string_view kind, std::string_view value);
  bool enabled() const { return !file_.empty(); }

 private:
  std::mutex mutex_;
  std::string file_;
  bool failed_ = false;
};

}  // namespace swr::sim
