#include "cli/human_units.h"

#include <cmath>
#include <cstdio>
#include <ctime>
#include <iterator>

namespace mybuild::cli {

std::string human_size(int64_t bytes, int precision) {
  static constexpr const char* kUnits[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB"};
  double value = static_cast<double>(bytes);
  size_t unit = 0;
  while (value >= 1000 && unit + 1 < std::size(kUnits)) {
    value /= 1000;
    ++unit;
  }
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*g%s", precision, value, kUnits[unit]);
  return buf;
}

std::string human_duration(int64_t seconds) {
  auto plural = [](int64_t n, const char* unit) {
    std::string s = std::to_string(n);
    s += ' ';
    s += unit;
    return s;
  };
  if (seconds < 1) return "Less than a second";
  if (seconds == 1) return "1 second";
  if (seconds < 60) return plural(seconds, "seconds");
  int64_t minutes = seconds / 60;
  if (minutes == 1) return "About a minute";
  if (minutes < 60) return plural(minutes, "minutes");
  // go-units rounds hours to the nearest (math.Round(d.Hours())).
  int64_t hours = static_cast<int64_t>(std::llround(static_cast<double>(seconds) / 3600.0));
  if (hours == 1) return "About an hour";
  if (hours < 48) return plural(hours, "hours");
  if (hours < 24 * 7 * 2) return plural(hours / 24, "days");
  if (hours < 24 * 30 * 2) return plural(hours / 24 / 7, "weeks");
  if (hours < 24 * 365 * 2) return plural(hours / 24 / 30, "months");
  return plural(seconds / 3600 / 24 / 365, "years");
}

std::string go_time_utc(int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S +0000 UTC", &tm);
  return buf;
}

}  // namespace mybuild::cli
