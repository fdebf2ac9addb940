// Helpers shared by the snapshotter tests: a private mount namespace per test process (so the
// "no mount leaked" check sees only our own mounts, not those of tests running beside us),
// small file helpers, and a printable listing of a tree for comparing snapshots. Their own
// namespace: the one snapshot test binary also links other helpers of the same names, and two
// inline functions with one signature would silently be merged (an ODR violation).
#pragma once

#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "snapshot/layer_test_util.h"

namespace mybuild::snapshot::snapshotter_testing {

using snapshot::testing::write_text;  // one writer for every snapshot test

// nullopt when the process may mount; else why not (for GTEST_SKIP).
inline std::optional<std::string> mount_skip_reason() {
  if (::geteuid() != 0) return "needs root (mount(2), mknod, chown)";
  static std::optional<std::string> reason = []() -> std::optional<std::string> {
    if (::unshare(CLONE_NEWNS) != 0) return "unshare(CLONE_NEWNS) failed: no mount namespaces";
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
      return "cannot make / private in the test's mount namespace";
    }
    return std::nullopt;
  }();
  return reason;
}

inline std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "<missing>";
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline bool exists_nofollow(const std::filesystem::path& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

// One line per entry below `dir`, sorted: path, type, mode, owner, size, content or link
// target, device numbers and user.* xattrs. Directory mtimes are left out (the kernel sets
// them as entries come and go); file mtimes are in when `with_times`.
inline std::string describe_tree(const std::filesystem::path& dir, bool with_times = true) {
  std::vector<std::string> lines;
  for (auto it = std::filesystem::recursive_directory_iterator(dir);
       it != std::filesystem::recursive_directory_iterator(); ++it) {
    const auto& p = it->path();
    struct stat st {};
    if (::lstat(p.c_str(), &st) != 0) continue;
    std::ostringstream line;
    line << std::filesystem::relative(p, dir).string() << " mode=" << std::oct << st.st_mode
         << std::dec << " uid=" << st.st_uid << " gid=" << st.st_gid;
    if (S_ISREG(st.st_mode)) {
      line << " size=" << st.st_size << " nlink=" << st.st_nlink << " data=" << read_text(p);
    }
    if (S_ISLNK(st.st_mode)) line << " -> " << std::filesystem::read_symlink(p).string();
    if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
      line << " dev=" << major(st.st_rdev) << ":" << minor(st.st_rdev);
    }
    if (with_times && !S_ISDIR(st.st_mode)) {
      line << " mtime=" << st.st_mtim.tv_sec << "." << st.st_mtim.tv_nsec;
    }
    char value[256];
    ssize_t n = ::lgetxattr(p.c_str(), "user.test", value, sizeof value);
    if (n >= 0) line << " user.test=" << std::string(value, static_cast<size_t>(n));
    lines.push_back(line.str());
  }
  std::sort(lines.begin(), lines.end());
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

}  // namespace mybuild::snapshot::snapshotter_testing
