// Child side: switching to the new root. pivot_root(".", ".") stacks the old root under the new
// one at "/", and the lazy detach then drops it (runc's pivotRoot): no path to the host's tree
// is left in this mount namespace, unlike chroot, which /proc/1/root or a fchdir can escape.
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "sandbox/internal/child_ops.h"

namespace mybuild::sandbox::internal {

int enter_root(int rootfd) {
  if (::fchdir(rootfd) != 0) return errno;
  if (::syscall(SYS_pivot_root, ".", ".") != 0) return errno;
  // The old root now sits on top of the new one; make sure its unmount does not propagate.
  if (::mount(nullptr, ".", nullptr, MS_SLAVE | MS_REC, nullptr) != 0) return errno;
  if (::umount2(".", MNT_DETACH) != 0) return errno;
  if (::chdir("/") != 0) return errno;
  return 0;
}

}  // namespace mybuild::sandbox::internal
