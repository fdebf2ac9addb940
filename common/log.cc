#include "common/log.h"

#include <unistd.h>

#include <atomic>
#include <string>

namespace mybuild::common::log {
namespace {

std::atomic<Level> g_level{Level::kWarn};  // process-wide by nature: one stderr

void emit(Level lvl, std::string_view prefix, std::string_view message) {
  if (!enabled(lvl)) return;
  std::string line;
  line.reserve(prefix.size() + message.size() + 1);
  line += prefix;
  line += message;
  line += '\n';
  // One write(2) per line so concurrent threads never interleave within a line.
  [[maybe_unused]] auto n = ::write(STDERR_FILENO, line.data(), line.size());
}

}  // namespace

void set_level(Level level) { g_level.store(level); }
Level level() { return g_level.load(); }
bool enabled(Level lvl) { return lvl >= g_level.load() && g_level.load() != Level::kQuiet; }

void debug(std::string_view m) { emit(Level::kDebug, "debug: ", m); }
void info(std::string_view m) { emit(Level::kInfo, "info: ", m); }
void warn(std::string_view m) { emit(Level::kWarn, "warning: ", m); }
void error(std::string_view m) { emit(Level::kError, "error: ", m); }

}  // namespace mybuild::common::log
