// Go's time.ParseDuration, as HEALTHCHECK's --interval/--timeout/--start-period and
// `mybuild build --timeout` take it:
// "30s", "1m30s", "1.5h", "500ms", "10us". No sign, at least one unit.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace mybuild::common {

std::optional<std::chrono::nanoseconds> parse_duration(std::string_view text);

}  // namespace mybuild::common
