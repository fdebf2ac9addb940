#include "parser/internal/suggest.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace mybuild::parser::internal {
namespace {

// `b` is at most kMaxWord long (closest() checks): one row on the stack, no allocation.
constexpr size_t kMaxWord = 64;

size_t edit_distance(std::string_view a, std::string_view b) {
  std::array<size_t, kMaxWord + 1> row;
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t above = row[j];
      bool same = std::tolower(static_cast<unsigned char>(a[i - 1])) ==
                  std::tolower(static_cast<unsigned char>(b[j - 1]));
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (same ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace

std::optional<std::string> closest(std::string_view word,
                                   const std::vector<std::string>& candidates) {
  if (word.size() > kMaxWord) return std::nullopt;  // not a typo of a keyword; skip the work
  std::optional<std::string> best;
  size_t best_distance = 3;
  for (const std::string& c : candidates) {
    // The distance is at least the difference in length, so most words skip most candidates
    // (the Dockerfile fuzzer spent 8% of its time here on garbage keywords).
    const size_t gap = word.size() > c.size() ? word.size() - c.size() : c.size() - word.size();
    if (gap >= best_distance) continue;
    size_t d = edit_distance(c, word);
    if (d < best_distance && d < word.size()) {
      best = c;
      best_distance = d;
    }
  }
  return best;
}

}  // namespace mybuild::parser::internal
