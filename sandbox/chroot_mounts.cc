#include "sandbox/internal/chroot_mounts.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "common/error.h"
#include "common/log.h"
#include "sandbox/internal/child_ops.h"

namespace mybuild::sandbox::internal {
namespace {

constexpr const char* kDeviceNodes[] = {"null", "zero", "full", "random", "urandom", "tty"};

[[noreturn]] void throw_mount(const char* what, const Subject& s, int err) {
  std::string text = std::string(what) + ": ";
  if (s.call != nullptr) text += s.call;
  text += "(";
  if (s.source != nullptr) text += std::string(s.source) + " -> ";
  if (s.target != nullptr) text += std::string(s.target[0] == '/' ? "" : "/") + s.target;
  throw common::Error(common::ErrorKind::kSandbox, text + "): " + std::strerror(err));
}

// mountinfo's octal escapes (\040 for a space) undone.
std::string unescape(const std::string& field) {
  std::string out;
  for (size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '\\' && i + 3 < field.size()) {
      out += static_cast<char>(std::stoi(field.substr(i + 1, 3), nullptr, 8));
      i += 3;
    } else {
      out += field[i];
    }
  }
  return out;
}

// Mount points strictly below `dir`, deepest (longest) first.
std::vector<std::string> mounts_below(const std::string& dir) {
  std::vector<std::string> out;
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  std::string prefix = dir + "/";
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string id, parent, devno, root, point;
    if (!(fields >> id >> parent >> devno >> root >> point)) continue;
    point = unescape(point);
    if (point.starts_with(prefix)) out.push_back(point);
  }
  std::sort(out.begin(), out.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  return out;
}

}  // namespace

ChrootMounts::ChrootMounts(const ChildPlan& plan) : plan_(plan) {
  int rootfd = ::open(plan.root_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0) common::throw_errno("open", plan.root_path);
  try {
    mount_all(rootfd);
    if (!mounted_) make_device_nodes(rootfd);
  } catch (...) {
    ::close(rootfd);
    take_down();
    throw;
  }
  ::close(rootfd);
}

ChrootMounts::~ChrootMounts() { take_down(); }

void ChrootMounts::mount_all(int rootfd) {
  Subject s;
  // The first bind tells whether this container allows mounts at all.
  int rc = apply_mount(rootfd, plan_.system_mounts.ops[0], s);
  if (rc == EPERM || rc == EACCES) {
    summary_ = std::string("no mounts (") + std::strerror(rc) +
               "): no /proc, no /sys, the rootfs's own /dev and /etc files";
    if (plan_.extra_mounts.count > 0 || plan_.secrets.count > 0) {
      throw common::Error(
          common::ErrorKind::kSandbox,
          "RUN --mount, secrets and heredoc scripts need mounts, which this container forbids "
          "(mount: " +
              std::string(std::strerror(rc)) + "; --isolation=chroot without mounts)");
    }
    return;
  }
  mounted_ = true;
  if (rc != 0) throw_mount("mounting /proc", s, rc);
  MountList rest{plan_.system_mounts.ops + 1, plan_.system_mounts.count - 1};
  if ((rc = apply_mounts(rootfd, rest, s)) != 0) throw_mount("binding /dev and /sys", s, rc);
  if ((rc = mask_paths(rootfd, plan_.masked_paths, s)) != 0) throw_mount("masking", s, rc);
  if ((rc = make_readonly(rootfd, plan_.readonly_paths, s)) != 0) throw_mount("read-only", s, rc);
  if ((rc = apply_mounts(rootfd, plan_.cgroup_mounts, s)) != 0) {
    throw_mount("mounting /sys/fs/cgroup", s, rc);
  }
  if ((rc = seal_readonly(rootfd, plan_.cgroup_seal, s)) != 0) {
    throw_mount("mounting /sys/fs/cgroup", s, rc);
  }
  if ((rc = apply_mounts(rootfd, plan_.etc_files, s)) != 0) throw_mount("/etc files", s, rc);
  if ((rc = apply_mounts(rootfd, plan_.extra_mounts, s)) != 0) throw_mount("--mount", s, rc);
  if ((rc = stage_secrets(plan_.secret_staging, plan_.secrets, s)) != 0) {
    throw_mount("staging secrets", s, rc);
  }
  if ((rc = apply_mounts(rootfd, plan_.secrets, s)) != 0) throw_mount("secret", s, rc);
  summary_ = "the container's /proc, /dev and /sys bound in";
}

void ChrootMounts::make_device_nodes(int rootfd) {
  std::string made, failed;
  for (const char* name : kDeviceNodes) {
    std::string rel = std::string("dev/") + name;
    int existing = open_in_root(rootfd, rel.c_str(), O_PATH | O_CLOEXEC);
    if (existing >= 0) {
      ::close(existing);
      continue;  // the rootfs's own file serves
    }
    struct stat host {};
    if (::stat((std::string("/dev/") + name).c_str(), &host) != 0 || !S_ISCHR(host.st_mode)) {
      continue;
    }
    Subject s;
    int devfd = make_dir_in_root(rootfd, "dev", s) == 0
                    ? open_in_root(rootfd, "dev", O_PATH | O_DIRECTORY | O_CLOEXEC)
                    : -1;
    int rc = devfd < 0 ? EPERM : 0;
    if (rc == 0 && ::mknodat(devfd, name, S_IFCHR | 0666, host.st_rdev) != 0) rc = errno;
    if (rc == 0) {
      ::fchmodat(devfd, name, host.st_mode & 07777, 0);
      nodes_.push_back(rel);
      made += std::string(made.empty() ? "" : " ") + name;
    } else {
      failed = std::strerror(rc);
    }
    if (devfd >= 0) ::close(devfd);
  }
  if (!made.empty()) summary_ += "; device nodes made in /dev: " + made;
  if (!failed.empty()) summary_ += "; mknod: " + failed;
}

void ChrootMounts::take_down() noexcept {
  try {
    if (mounted_) {
      for (const char* dir : {plan_.root_path, plan_.secret_staging}) {
        for (const auto& point : mounts_below(dir)) {
          if (::umount2(point.c_str(), MNT_DETACH | UMOUNT_NOFOLLOW) != 0 && errno != EINVAL &&
              errno != ENOENT) {
            common::log::warn("umount " + point + ": " + std::strerror(errno));
          }
        }
      }
      if (plan_.secrets.count > 0) ::umount2(plan_.secret_staging, MNT_DETACH);
      mounted_ = false;
    }
    int rootfd = ::open(plan_.root_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0) return;
    int devfd = open_in_root(rootfd, "dev", O_PATH | O_DIRECTORY | O_CLOEXEC);
    for (const auto& rel : nodes_) {
      struct stat st {};
      const char* name = rel.c_str() + 4;  // after "dev/"
      // Only what is still a device node: the step may have replaced it with a file it meant.
      if (devfd >= 0 && ::fstatat(devfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
          S_ISCHR(st.st_mode)) {
        ::unlinkat(devfd, name, 0);
      }
    }
    nodes_.clear();
    if (devfd >= 0) ::close(devfd);
    ::close(rootfd);
  } catch (const std::exception& e) {
    common::log::warn(std::string("chroot mounts: ") + e.what());
  }
}

}  // namespace mybuild::sandbox::internal
