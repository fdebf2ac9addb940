#include "sandbox/internal/cgroup_mounts.h"

namespace mybuild::sandbox::internal {
namespace {

constexpr const char* kTarget = "/sys/fs/cgroup";

// nosuid, nodev and noexec as well as ro: a remount in a user namespace must keep the flags the
// kernel locked on the host's cgroup mounts, and a cgroup file is never a program or a device.
common::Mount readonly_bind(const std::filesystem::path& source, std::string target) {
  return {"bind", source.string(), std::move(target), {"bind", "ro", "nosuid", "nodev", "noexec"}};
}

}  // namespace

StepCgroupMounts step_cgroup_mounts(
    CgroupMode mode, const std::vector<std::pair<std::string, std::filesystem::path>>& dirs) {
  StepCgroupMounts out;
  if (mode == CgroupMode::kV2 && !dirs.empty()) {
    out.mounts.push_back(readonly_bind(dirs.front().second, kTarget));
    return out;
  }
  if (mode == CgroupMode::kV1 && !dirs.empty()) {
    out.mounts.push_back(
        {"tmpfs", "tmpfs", kTarget, {"nosuid", "nodev", "noexec", "mode=755", "size=64k"}});
    for (const auto& [controller, dir] : dirs) {
      out.mounts.push_back(readonly_bind(dir, std::string(kTarget) + "/" + controller));
    }
    out.seal_readonly = true;
    return out;
  }
  out.mounts.push_back(
      {"tmpfs", "tmpfs", kTarget, {"ro", "nosuid", "nodev", "noexec", "mode=755", "size=4k"}});
  return out;
}

}  // namespace mybuild::sandbox::internal
