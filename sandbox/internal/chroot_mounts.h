// The parent's half of chroot mode (Isolation::kChroot): with no mount namespace of the step's
// own, what namespaces mode mounts inside the child is mounted here, in mybuild's namespace, on
// the rootfs directory, and taken down again when the owner goes (STYLE.md §3).
//
// Where bind mounts are allowed: the container's /proc and /dev (recursive binds), its /sys
// (read-only, without submounts), the step's cgroup view, /etc/hosts, /etc/resolv.conf,
// /etc/hostname, --mount targets and secrets; /proc paths masked as namespaces mode masks them.
// Where no mount is allowed (EPERM on the first): nothing is mounted, the step has no /proc and
// no /sys, and /dev holds only what the rootfs has, plus, when mknod(2) works, copies of the
// container's /dev/null, zero, full, random, urandom and tty as device nodes, made where the
// rootfs has no such file and removed afterwards (never part of the layer). A step that needs a
// mount (RUN --mount, a heredoc script) is then an error that says so.
#pragma once

#include <string>
#include <vector>

#include "sandbox/internal/child_plan.h"

namespace mybuild::sandbox::internal {

class ChrootMounts {
 public:
  // Throws Error(kSandbox) naming the mount that failed (anything already mounted is taken down).
  explicit ChrootMounts(const ChildPlan& plan);
  ~ChrootMounts();
  ChrootMounts(const ChrootMounts&) = delete;
  ChrootMounts& operator=(const ChrootMounts&) = delete;

  // What the step got, for the debug log: "bind mounts" or "no mounts (...); device nodes: ...".
  const std::string& summary() const { return summary_; }

 private:
  void mount_all(int rootfd);
  void make_device_nodes(int rootfd);
  void take_down() noexcept;

  const ChildPlan& plan_;
  std::vector<std::string> nodes_;  // device nodes made, relative to the root
  bool mounted_ = false;
  std::string summary_;
};

}  // namespace mybuild::sandbox::internal
