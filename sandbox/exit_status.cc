// ExitStatus::describe: how a step ended, in the words the builder shows the user.
#include <cstring>
#include <string>

#include "sandbox/spec.h"

namespace mybuild::sandbox {
namespace {

std::string human_bytes(uint64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  double v = static_cast<double>(bytes);
  while (v >= 1024 && u < 4 && bytes % 1024 == 0) {
    v /= 1024;
    bytes /= 1024;
    ++u;
  }
  return std::to_string(bytes) + " " + units[u];
}

}  // namespace

std::string ExitStatus::describe() const {
  if (oom_killed) {
    std::string s = "RUN step killed: out of memory";
    if (memory_limit) s += ", limit " + human_bytes(*memory_limit);
    return s;
  }
  if (timed_out) return "RUN step killed: timeout";
  if (signal != 0) {
    return "killed by signal " + std::to_string(signal) + " (" + strsignal(signal) + ")";
  }
  return "exit code " + std::to_string(code);
}

}  // namespace mybuild::sandbox
