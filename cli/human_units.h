// Sizes and durations as docker prints them (github.com/docker/go-units): "4.26MB", "3 weeks".
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>

namespace mybuild::cli {

// units.HumanSizeWithPrecision: decimal units (B, kB, MB, ...), `precision` significant digits.
std::string human_size(int64_t bytes, int precision = 3);

// units.HumanDuration: "Less than a second", "About a minute", "5 hours", "3 weeks", "2 years".
std::string human_duration(int64_t seconds);

// Go's time.Time.String() of a UTC time, as docker's JSON output shows CreatedAt:
// "2023-11-14 22:13:20 +0000 UTC".
std::string go_time_utc(int64_t unix_seconds);

}  // namespace mybuild::cli
