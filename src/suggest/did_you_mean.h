// Suggestions for misspelt words, as the config and web config errors make them: "did you mean
// `interval`?". Depends on nothing, so any folder may use it.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace swr::suggest {

std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate closest to `word` when it is a likely typo of it (a case-insensitive match or
// at most two edits away); nothing otherwise. Ties go to the earlier candidate.
std::optional<std::string> closest_match(std::string_view word,
                                         const std::vector<std::string_view>& candidates);

}  // namespace swr::suggest
