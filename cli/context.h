// What every command gets from the global flags.
#pragma once

#include <string>

namespace mybuild::cli {

struct GlobalOptions {
  bool debug = false;
  std::string root;       // --root / MYBUILD_ROOT; empty = the default (see default_root())
  int exit_code = 0;      // what a successful command exits with (`run`: its process's code)
  int cancel_signal = 0;  // SIGINT or SIGTERM that cancelled the command: exit 128 + it
  // --isolation for RUN steps (build, run): auto|namespaces|rootless|chroot (builder/isolation.h).
  std::string isolation = "auto";
};

// The state root: --root, else $MYBUILD_ROOT, else /var/lib/mybuild as root, else
// $XDG_DATA_HOME/mybuild (or ~/.local/share/mybuild).
std::string resolve_root(const GlobalOptions& opts);
// resolve_root, made ready for a command that uses the store: created 0700 if missing (mkdir
// with the mode, nothing to race), tightened with a warning if other users could enter it.
// Pulled private images, build caches and cache mounts all live below it, and a RUN can fill
// a cache mount with setuid binaries: only root (or the rootless owner) may reach them.
// Then reclaims what exited mybuild processes left in it (builder/reclaim.h).
// `create` false: a missing root stays missing (prune leaves a root that is not there alone).
std::string prepare_root(const GlobalOptions& opts, bool create = true);

}  // namespace mybuild::cli
