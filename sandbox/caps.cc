#include "sandbox/caps.h"

#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>

#include "sandbox/internal/child_ops.h"

namespace mybuild::sandbox {

uint64_t default_capabilities() {
  constexpr int kCaps[] = {CAP_CHOWN,   CAP_DAC_OVERRIDE, CAP_FSETID,           CAP_FOWNER,
                           CAP_MKNOD,   CAP_NET_RAW,      CAP_SETGID,           CAP_SETUID,
                           CAP_SETFCAP, CAP_SETPCAP,      CAP_NET_BIND_SERVICE, CAP_SYS_CHROOT,
                           CAP_KILL,    CAP_AUDIT_WRITE};
  uint64_t mask = 0;
  for (int c : kCaps) mask |= uint64_t{1} << c;
  return mask;
}

int last_capability() {
  std::ifstream in("/proc/sys/kernel/cap_last_cap");
  int last = CAP_LAST_CAP;
  if (!(in >> last) || last < 0 || last > 63) last = CAP_LAST_CAP;
  return last;
}

namespace internal {

// Child side, while still root with every capability: bounding and ambient sets first (dropping
// from the bounding set needs CAP_SETPCAP, which set_capabilities may remove).
int drop_bounding_set(uint64_t keep, int cap_last) {
  for (int c = 0; c <= cap_last; ++c) {
    if ((keep >> c) & 1) continue;
    if (::prctl(PR_CAPBSET_DROP, c, 0, 0, 0) != 0 && errno != EINVAL) return errno;
  }
  if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL) {
    return errno;
  }
  return 0;
}

// After setuid: effective and permitted become `caps` (a non-root user passes 0, as Docker
// gives a non-root user no effective capabilities); inheritable is always empty (moby's fix for
// CVE-2022-24769). Only capabilities mybuild itself holds can be kept: inside a container started
// with fewer than Docker's default set (podman's default lacks CAP_MKNOD, CAP_NET_RAW and
// CAP_AUDIT_WRITE) the step gets the intersection, where asking for more fails capset with EPERM.
int set_capabilities(uint64_t caps) {
  __user_cap_header_struct header{};
  header.version = _LINUX_CAPABILITY_VERSION_3;
  header.pid = 0;
  __user_cap_data_struct held[2]{};
  if (::syscall(SYS_capget, &header, held) != 0) return errno;
  caps &= uint64_t{held[0].permitted} | (uint64_t{held[1].permitted} << 32);
  __user_cap_data_struct data[2]{};
  for (int i = 0; i < 2; ++i) {
    auto word = static_cast<uint32_t>(caps >> (32 * i));
    data[i].effective = word;
    data[i].permitted = word;
    data[i].inheritable = 0;
  }
  return ::syscall(SYS_capset, &header, data) == 0 ? 0 : errno;
}

}  // namespace internal
}  // namespace mybuild::sandbox
