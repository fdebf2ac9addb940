// Logging for libraries (STYLE.md §7): leveled lines to stderr. The CLI sets the level; nothing
// below cli/ prints to stdout. Thread-safe: each call writes one whole line.
#pragma once

#include <string_view>

namespace mybuild::common::log {

enum class Level { kDebug, kInfo, kWarn, kError, kQuiet };

void set_level(Level level);
Level level();
bool enabled(Level level);

void debug(std::string_view message);
void info(std::string_view message);
void warn(std::string_view message);
void error(std::string_view message);

}  // namespace mybuild::common::log
