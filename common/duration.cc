#include "common/duration.h"

#include <cmath>

namespace mybuild::common {

std::optional<std::chrono::nanoseconds> parse_duration(std::string_view text) {
  if (text == "0") return std::chrono::nanoseconds(0);
  if (text.empty()) return std::nullopt;
  long double total = 0;
  size_t i = 0;
  while (i < text.size()) {
    size_t start = i;
    long double number = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9')
      number = number * 10 + (text[i++] - '0');
    if (i < text.size() && text[i] == '.') {
      ++i;
      long double scale = 0.1L;
      while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
        number += (text[i++] - '0') * scale;
        scale /= 10;
      }
    }
    if (i == start || (i == start + 1 && text[start] == '.')) return std::nullopt;
    size_t unit_start = i;
    while (i < text.size() && !(text[i] >= '0' && text[i] <= '9') && text[i] != '.') ++i;
    std::string_view unit = text.substr(unit_start, i - unit_start);
    long double ns;
    if (unit == "ns")
      ns = 1;
    else if (unit == "us" || unit == "\xc2\xb5s" || unit == "\xce\xbcs")
      ns = 1e3L;
    else if (unit == "ms")
      ns = 1e6L;
    else if (unit == "s")
      ns = 1e9L;
    else if (unit == "m")
      ns = 60e9L;
    else if (unit == "h")
      ns = 3600e9L;
    else
      return std::nullopt;
    total += number * ns;
    if (total > 9.2e18L) return std::nullopt;  // beyond int64 nanoseconds, as Go rejects
  }
  return std::chrono::nanoseconds(static_cast<int64_t>(std::llround(total)));
}

}  // namespace mybuild::common
