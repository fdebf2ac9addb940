// MountGuard: owns the mounts of one common::Mount list at one target directory and unmounts
// them on destruction (STYLE.md §3: a leaked mount is a bug in an owner, not in its caller).
//
//   auto mounts = snapshotter.prepare("build-1/step-3", parent);
//   MountGuard rootfs(mounts, snapshotter.mount_point("build-1/step-3"));
//   ... run the step in rootfs.target() ...
//   // ~MountGuard unmounts, also when the step throws.
//
// Move-only. release() gives the mounts up (they stay) for a caller that hands them on.
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
};

}  // namespace mybuild::snapshot
