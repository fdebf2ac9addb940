// A mount description passed between modules (containerd's mount.Mount): the snapshotter
// produces them, the sandbox and the differ consume them. Plain data; nothing is mounted here.
#pragma once

#include <string>
#include <vector>

namespace mybuild::common {

struct Mount {
  std::string type;                  // "overlay", "bind", "tmpfs", ...
  std::string source;                // device, directory, or "overlay"
  std::string target;                // mount point inside the rootfs ("" = the rootfs itself)
  std::vector<std::string> options;  // "ro", "rbind", "lowerdir=...", "upperdir=...", ...

  friend bool operator==(const Mount&, const Mount&) = default;
};

}  // namespace mybuild::common
