// MountGuard: owns the mounts of one common::Mount list at one target directory and unmounts
// them on destruction (STYLE.md §3: a leaked mount is a bug in an owner, not in its caller).
//
//   auto mounts = snapshotter.prepare("build-1/step-3", parent);
//   MountGuard rootfs(mounts, snapshotter.mount_point("build-1/step-3"));
//   ... run the step in rootfs.target() ...
//   // ~MountGuard unmounts, also when the step throws.
//
// Move-only. release() gives the mounts up (they stay) for a caller that hands them on.
//
// Where mounts are forbidden (a container without CAP_SYS_ADMIN, or a seccomp profile that
// refuses mount(2): chroot isolation's home), a lone bind of a directory, which is all the native
// snapshotter ever asks for, is the directory itself: target() is then that directory, nothing
// is mounted, and a read-only view is read-only only by mybuild's own discipline.
#pragma once

#include <filesystem>
#include <span>

#include "common/mount.h"

namespace mybuild::snapshot {

class MountGuard {
 public:
  MountGuard() = default;
  // Mounts everything (mount_all); throws kResource with nothing left mounted on failure.
  MountGuard(std::span<const common::Mount> mounts, std::filesystem::path target);
  MountGuard(MountGuard&& other) noexcept;
  MountGuard& operator=(MountGuard&& other) noexcept;
  MountGuard(const MountGuard&) = delete;
  MountGuard& operator=(const MountGuard&) = delete;
  ~MountGuard();

  const std::filesystem::path& target() const { return target_; }
  bool active() const { return !target_.empty(); }
  // Unmounts now; throws kResource when a mount could not even be detached.
  void unmount();
  // Keeps the mounts; returns the target they stay at.
  std::filesystem::path release();

 private:
  std::filesystem::path target_;
  bool direct_ = false;  // target_ is the bind's source, used in place (nothing mounted)
};

}  // namespace mybuild::snapshot
