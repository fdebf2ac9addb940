// Test data for the stream tests of common/: `n` bytes that differ from chunk to chunk (`seed`)
// and within one, so that a reordered, dropped or doubled piece changes the result.
#pragma once

#include <cstddef>
#include <string>

namespace mybuild::common::testing {

inline std::string test_pattern(size_t n, char seed) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>(seed + i * 31 % 251);
  return s;
}

}  // namespace mybuild::common::testing
