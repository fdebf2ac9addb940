// Child side of chroot mode (Isolation::kChroot): where the container forbids new namespaces,
// the step's init is a plain child of mybuild. It starts a session and process group of its own
// (what mybuild kills as a whole on cancel, timeout and when the main process is done), becomes
// a subreaper (so orphans of the step stay its children, inside that reach, rather than the
// container's init's), and enters the rootfs the way that leaves no way back: fchdir to the root
// first, then chroot("."), then chdir("/"). With the working directory inside the root and every
// descriptor close-on-exec (start_process), `cd ../..` stops at the new root; and the step has no
// CAP_SYS_CHROOT to chroot again deeper and climb out of that (plan.cc drops it in this mode).
#include <fcntl.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>

#include "sandbox/internal/child_ops.h"

namespace mybuild::sandbox::internal {

void chroot_child_main(const ChildPlan& plan) {
  check_call(plan, Step::kParentDeathSignal, ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0));
  check_call(plan, Step::kProcessGroup, ::setsid() < 0 ? -1 : 0);
  join_cgroups_v1(plan);
  check_call(plan, Step::kChroot, ::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0));
  int rootfd = ::open(plan.root_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0) fail_step(plan, Step::kOpenRootfs, errno, {"open", nullptr, plan.root_path});
  check_call(plan, Step::kChroot, ::fchdir(rootfd), {"fchdir", nullptr, plan.root_path});
  check_call(plan, Step::kChroot, ::chroot("."), {"chroot", nullptr, plan.root_path});
  check_call(plan, Step::kChroot, ::chdir("/"), {"chdir", nullptr, "/"});
  ::close(rootfd);

  Credentials creds;
  sync_with_parent(plan, creds);
  int newroot = ::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (newroot < 0) fail_step(plan, Step::kOpenRootfs, errno, {"open", nullptr, "/"});
  Subject s;
  if (int rc = make_dir_in_root(newroot, plan.cwd, s); rc != 0)
    fail_step(plan, Step::kCreateCwd, rc, s);
  ::close(newroot);
  start_process(plan, creds);
}

}  // namespace mybuild::sandbox::internal
