// Sizes as docker's flags take them (--memory, --shm-size): go-units RAMInBytes, binary units.
// Pure function; thread-safe.
#pragma once

#include <cstdint>
#include <string_view>

namespace mybuild::cli {

// "512m", "1g", "1.5G", "64MiB", "100k", "1073741824" (bytes), "10b" -> bytes. A number
// (optionally with a fraction), an optional space, then an optional unit b, k, m, g, t or p
// in either case, optionally followed by "i" and/or "b" (so "kb", "KiB", "m", "MB" are all
// 1024-based, as in docker). Throws Error(kUsage) "invalid <flag> value: <text> ..." for
// anything else, for a size that rounds down to 0 bytes, and for one above 2^63 - 1.
uint64_t parse_byte_size(std::string_view text, std::string_view flag);

}  // namespace mybuild::cli
