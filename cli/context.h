// What every command gets from the global flags.
#pragma once

#include <string>

namespace mybuild::cli {

struct GlobalOptions {
  bool debug = false;
  std::string root;  // --root / MYBUILD_ROOT; empty = the default (see default_root())
  int exit_code = 0;  // what a successful command exits with (`run`: its process's code)
};

// The state root: --root, else $MYBUILD_ROOT, else /var/lib/mybuild as root, else
// $XDG_DATA_HOME/mybuild (or ~/.local/share/mybuild).
std::string resolve_root(const GlobalOptions& opts);

}  // namespace mybuild::cli
