#include "snapshot/mount_guard.h"

#include <utility>

#include "common/error.h"
#include "common/log.h"
#include "snapshot/mount_ops.h"

namespace mybuild::snapshot {

MountGuard::MountGuard(std::span<const common::Mount> mounts, std::filesystem::path target) {
  mount_all(mounts, target);
  target_ = std::move(target);
}

MountGuard::MountGuard(MountGuard&& other) noexcept : target_(other.release()) {}

MountGuard& MountGuard::operator=(MountGuard&& other) noexcept {
  if (this != &other) {
    try {
      unmount();
    } catch (const std::exception& e) {
      common::log::warn(std::string("unmounting: ") + e.what());
    }
    target_ = other.release();
  }
  return *this;
}

MountGuard::~MountGuard() {
  try {
    unmount();
  } catch (const std::exception& e) {
    common::log::warn(std::string("unmounting: ") + e.what());
  }
}

void MountGuard::unmount() {
  if (target_.empty()) return;
  // Everything at or below the target goes, including mounts someone stacked on ours (a RUN's
  // /proc, say): unmounting only our own would fail with EBUSY and leak them all.
  std::filesystem::path target = std::exchange(target_, {});
  unmount_tree(target);
}

std::filesystem::path MountGuard::release() { return std::exchange(target_, {}); }

}  // namespace mybuild::snapshot
