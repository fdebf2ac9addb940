// --isolation=auto|namespaces|rootless|chroot (Buildah's names): which of the sandbox's modes
// RUN steps get (sandbox/spec.h, Isolation), decided once per command from what the host allows
// (sandbox/isolation.h probes it for real), and said in the build's first progress line:
//
//   isolation: namespaces
//   isolation: chroot (no new namespaces allowed: unshare(CLONE_NEWNS|...): Operation not
//              permitted; no mounts: mount(MS_BIND): Operation not permitted; ...)
//
// auto picks namespaces (as root) or rootless (inside the rootless bootstrap, builder/rootless.h)
// when the sandbox's namespaces can be made, else chroot. An explicit mode the host cannot give
// is an error naming what failed; nothing falls back silently.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "sandbox/spec.h"

namespace mybuild::builder {

struct IsolationChoice {
  sandbox::Isolation mode = sandbox::Isolation::kNamespaces;
  std::string name = "namespaces";  // as the flag spells it: namespaces, rootless, chroot
  std::string detail{};             // why this mode, and what it lacks here; may be empty
  // "isolation: chroot (...)", the build's first progress line.
  std::string line() const;
};

// `requested` is the flag's value. Throws Error(kUsage) for an unknown word or a mode that does
// not apply to this caller (rootless as real root), Error(kSandbox) naming the probe that failed
// when the host cannot give the requested mode. With a `store_root`, a probe that found
// everything allowed is remembered there (common/host_memo.h: while the boot, this process's
// namespaces, powers and the namespace sysctls stay the same, and never under a seccomp filter),
// so that later commands skip its three forks, namespaces and mounts (issue 17).
IsolationChoice choose_isolation(std::string_view requested,
                                 const std::filesystem::path& store_root = {});

// Whether `word` is one of the flag's values.
bool is_isolation_name(std::string_view word);

}  // namespace mybuild::builder
