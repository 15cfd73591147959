// The one shape of a fallible call: a value, or the reason there is none. tl::expected
// (libexpected-dev) is C++23's std::expected for C++20, so moving to the standard one is a rename
// here; its header stays behind this one.
#pragma once

#include <string>
#include <tl/expected.hpp>

namespace swr {

// `E` is a string (what went wrong, for a log line) unless the caller needs more: where, or
// what kind.
template <class T, class E = std::string>
using Result = tl::expected<T, E>;

// `return unexpected(reason);` from a function returning Result.
using tl::unexpect;
using tl::unexpected;

}  // namespace swr
