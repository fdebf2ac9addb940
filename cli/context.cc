#include "cli/context.h"

#include <unistd.h>

#include <cstdlib>

namespace mybuild::cli {

std::string resolve_root(const GlobalOptions& opts) {
  if (!opts.root.empty()) return opts.root;
  if (const char* env = std::getenv("MYBUILD_ROOT"); env && *env) return env;
  if (::geteuid() == 0) return "/var/lib/mybuild";
  if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg && *xdg) {
    return std::string(xdg) + "/mybuild";
  }
  const char* home = std::getenv("HOME");
  return std::string(home && *home ? home : "/tmp") + "/.local/share/mybuild";
}

}  // namespace mybuild::cli
