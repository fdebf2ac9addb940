// What this host lets a RUN step have, probed for real as `mybuild doctor` does (a namespace is
// made and a /proc mounted in it, not guessed from a kernel version or a capability mask):
// `--isolation=auto` picks the strongest mode it allows (builder/isolation.h), and an explicit
// mode the host cannot give fails with the probe's reason.
#pragma once

#include <optional>
#include <string>

namespace mybuild::sandbox {

struct IsolationProbe {
  // Why sandbox::run's namespaces cannot be made here, as "call: strerror" (e.g.
  // "unshare(CLONE_NEWNS|CLONE_NEWPID|...): Operation not permitted", or "mount(proc) in a new
  // PID namespace: Operation not permitted" where the container masks parts of /proc); nullopt
  // when they can.
  std::optional<std::string> namespaces_error;
  // Why a bind mount in mybuild's own mount namespace fails (chroot mode then has no /proc,
  // /dev or /sys bound in); nullopt when it works.
  std::optional<std::string> bind_error;
  // Why chroot(2) fails (no CAP_SYS_CHROOT); nullopt when it works.
  std::optional<std::string> chroot_error;
  // Whether mknod(2) of a character device works (chroot mode without mounts then copies the
  // container's /dev/null, /dev/zero, ... into the step's /dev as device nodes).
  bool can_mknod = false;
};

// Never throws: a probe that cannot even start reports its own failure as the reason.
IsolationProbe probe_isolation();

}  // namespace mybuild::sandbox
