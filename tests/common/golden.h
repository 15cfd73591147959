// Golden files (tests/golden/*.prom): the text a test produced, diffed exactly against the file.
// SWR_UPDATE_GOLDEN=1 writes the file instead (and the check then passes): review the diff
// before committing it. tests/golden/README.md says which test writes which file.
#pragma once

#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

namespace swr::test {

inline bool updating_golden() {
  const char* update = std::getenv("SWR_UPDATE_GOLDEN");
  return update != nullptr && std::string_view(update) == "1";
}

// The first line where the two differ, both ways, with its number; "" when they are equal.
inline std::string first_difference(const std::string& expected, const std::string& actual) {
  if (expected == actual) return {};
  std::istringstream e(expected), a(actual);
  std::string le, la;
  for (int line = 1;; ++line) {
    const bool more_e = static_cast<bool>(std::getline(e, le));
    const bool more_a = static_cast<bool>(std::getline(a, la));
    if (!more_e && !more_a) {
      return "the files differ only in their final newline";
    }
    if (!more_e || !more_a || le != la) {
      return "line " + std::to_string(line) + ":\n  golden: " + (more_e ? le : "<end of file>") +
             "\n  actual: " + (more_a ? la : "<end of output>");
    }
  }
}

// Checks `actual` against the golden file at `path` byte for byte, or writes it there.
inline void check_golden(const std::string& path, const std::string& actual) {
  CAPTURE(path);
  if (updating_golden()) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << actual;
    REQUIRE_MESSAGE(out.good(), "cannot write the golden file");
    MESSAGE("SWR_UPDATE_GOLDEN=1: wrote " << path);
    return;
  }
  std::ifstream in(path, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), "no golden file: run with SWR_UPDATE_GOLDEN=1 to write it");
  std::ostringstream expected;
  expected << in.rdbuf();
  const std::string difference = first_difference(expected.str(), actual);
  CHECK_MESSAGE(difference.empty(),
                "differs from the golden file (SWR_UPDATE_GOLDEN=1 rewrites "
                "it; review the diff), first at "
                    << difference);
}

}  // namespace swr::test
