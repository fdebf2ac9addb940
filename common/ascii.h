// ASCII case folding for the protocol and syntax words that are case-insensitive (Dockerfile
// keywords and flags, HTTP header names, auth schemes, registry hosts). Bytes outside A-Z pass
// through unchanged, whatever the C locale says.
#pragma once

#include <string>
#include <string_view>

namespace mybuild::common {

std::string ascii_lower(std::string_view s);

}  // namespace mybuild::common
