// "Did you mean ...?" for misspelt instruction names.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mybuild::parser::internal {

// The candidate closest to `word` by edit distance (case-insensitive), if close enough to be a
// likely typo: at most 2 edits, and fewer than the word's length.
std::optional<std::string> closest(std::string_view word,
                                   const std::vector<std::string>& candidates);

}  // namespace mybuild::parser::internal
