// Time stamps as image configs and history entries carry them: RFC 3339 in UTC (image-spec
// config.md "created"), written with whole seconds as BuildKit writes them, read with any
// fraction and offset as other builders write them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace mybuild::common {

// RFC 3339 in UTC with whole seconds: "2026-11-23T12:00:00Z".
std::string rfc3339(int64_t unix_seconds);

// "2023-11-14T22:13:20Z", "...20.123456789+01:00" to Unix seconds; nullopt when malformed.
std::optional<int64_t> parse_rfc3339(const std::string& text);

}  // namespace mybuild::common
