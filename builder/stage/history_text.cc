#include "builder/stage/history_text.h"

#include <cstdio>
#include <ctime>

namespace mybuild::builder {

std::string go_quote(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\x%02x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
  return out;
}

std::string go_quote_list(const std::vector<std::string>& v) {
  std::string out = "[";
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) out += ' ';
    out += go_quote(v[i]);
  }
  return out + "]";
}

std::string go_list(const std::vector<std::string>& v) {
  std::string out = "[";
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) out += ' ';
    out += v[i];
  }
  return out + "]";
}

namespace {
// Formats `v` units of 10^-prec with trailing zeros of the fraction dropped.
std::string fraction(uint64_t v, int prec) {
  uint64_t scale = 1;
  for (int i = 0; i < prec; ++i) scale *= 10;
  std::string out = std::to_string(v / scale);
  uint64_t frac = v % scale;
  if (frac != 0) {
    std::string f = std::to_string(frac);
    f.insert(0, static_cast<size_t>(prec) - f.size(), '0');
    while (!f.empty() && f.back() == '0') f.pop_back();
    out += "." + f;
  }
  return out;
}
}  // namespace

std::string go_duration(std::chrono::nanoseconds d) {
  int64_t ns = d.count();
  if (ns == 0) return "0s";
  std::string sign = ns < 0 ? "-" : "";
  uint64_t u = static_cast<uint64_t>(ns < 0 ? -ns : ns);
  if (u < 1000) return sign + std::to_string(u) + "ns";
  if (u < 1000000) return sign + fraction(u, 3) + "µs";
  if (u < 1000000000) return sign + fraction(u, 6) + "ms";
  uint64_t secs_ns = u % 60000000000ULL;
  uint64_t mins = u / 60000000000ULL;
  std::string out = fraction(secs_ns, 9) + "s";
  if (mins > 0) {
    uint64_t hours = mins / 60;
    out = std::to_string(mins % 60) + "m" + out;
    if (hours > 0) out = std::to_string(hours) + "h" + out;
  }
  return sign + out;
}

}  // namespace mybuild::builder
