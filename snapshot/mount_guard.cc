#include "snapshot/mount_guard.h"

#include <sys/mount.h>

#include <cerrno>
#include <optional>
#include <utility>

#include "common/error.h"
#include "common/log.h"
#include "snapshot/mount_ops.h"

namespace mybuild::snapshot {

namespace {

// The directory a lone bind of the whole target would show, when binding it is refused for want
// of privilege (EPERM), not for a reason the caller must hear about.
std::optional<std::filesystem::path> unmountable_bind(std::span<const common::Mount> mounts,
                                                      const std::filesystem::path& target) {
  if (mounts.size() != 1 || mounts[0].type != "bind" || !mounts[0].target.empty()) {
    return std::nullopt;
  }
  if (::mount(mounts[0].source.c_str(), target.c_str(), nullptr, MS_BIND, nullptr) == 0) {
    ::umount2(target.c_str(), MNT_DETACH);  // it works after all: the first error stands
    return std::nullopt;
  }
  if (errno != EPERM) return std::nullopt;
  return std::filesystem::path(mounts[0].source);
}

}  // namespace

MountGuard::MountGuard(std::span<const common::Mount> mounts, std::filesystem::path target) {
  try {
    mount_all(mounts, target);
  } catch (const common::Error&) {
    auto dir = unmountable_bind(mounts, target);
    if (!dir) throw;
    common::log::debug("mount forbidden here: using " + dir->string() + " in place");
    target_ = std::move(*dir);
    direct_ = true;
    return;
  }
  target_ = std::move(target);
}

MountGuard::MountGuard(MountGuard&& other) noexcept {
  direct_ = other.direct_;
  target_ = other.release();
}

MountGuard& MountGuard::operator=(MountGuard&& other) noexcept {
  if (this != &other) {
    try {
      unmount();
    } catch (const std::exception& e) {
      common::log::warn(std::string("unmounting: ") + e.what());
    }
    direct_ = other.direct_;
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
  if (direct_) {
    target_.clear();
    direct_ = false;
    return;
  }
  // Everything at or below the target goes, including mounts someone stacked on ours (a RUN's
  // /proc, say): unmounting only our own would fail with EBUSY and leak them all.
  std::filesystem::path target = std::exchange(target_, {});
  unmount_tree(target);
}

std::filesystem::path MountGuard::release() {
  direct_ = false;
  return std::exchange(target_, {});
}

}  // namespace mybuild::snapshot
