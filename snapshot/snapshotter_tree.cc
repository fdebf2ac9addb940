#include "snapshot/snapshotter_tree.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/error.h"
#include "common/unique_fd.h"

namespace mybuild::snapshot {
namespace {

using common::throw_errno;
using common::UniqueFd;
namespace fs = std::filesystem;

UniqueFd open_dir_at(int dirfd, const std::string& name, const fs::path& shown) {
  int fd = ::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) throw_errno("open", shown.string());
  return UniqueFd(fd);
}

// Names in a directory (without "." and ".."), read through a dup of `dirfd` so the caller's
// fd keeps its own offset.
std::vector<std::string> list_dir(int dirfd, const fs::path& shown) {
  int dup = ::openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dup < 0) throw_errno("open", shown.string());
  DIR* dir = ::fdopendir(dup);
  if (!dir) {
    int err = errno;
    ::close(dup);
    throw_errno("fdopendir", shown.string(), err);
  }
  std::vector<std::string> names;
  errno = 0;
  while (dirent* e = ::readdir(dir)) {
    std::string_view n = e->d_name;
    if (n != "." && n != "..") names.emplace_back(n);
    errno = 0;
  }
  int err = errno;
  ::closedir(dir);
  if (err != 0) throw_errno("readdir", shown.string(), err);
  return names;
}

struct stat lstat_at(int dirfd, const std::string& name, const fs::path& shown) {
  struct stat st {};
  if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    throw_errno("lstat", shown.string());
  }
  return st;
}

// xattrs of an fd, or of a symlink through its /proc/self/fd path (a symlink cannot be opened
// for fgetxattr, and lgetxattr on the path would reintroduce the lookup we avoid).
std::string fd_path(int fd) { return "/proc/self/fd/" + std::to_string(fd); }

void copy_xattrs(const std::string& from, const std::string& to, const fs::path& shown) {
  std::vector<char> names(4096);
  ssize_t len;
  while ((len = ::llistxattr(from.c_str(), names.data(), names.size())) < 0 && errno == ERANGE) {
    names.resize(names.size() * 4);
  }
  if (len < 0) {
    if (errno == ENOTSUP) return;
    throw_errno("listxattr", shown.string());
  }
  std::vector<char> value(4096);
  for (ssize_t pos = 0; pos < len; pos += static_cast<ssize_t>(std::strlen(&names[pos])) + 1) {
    const char* name = &names[pos];
    ssize_t vlen;
    while ((vlen = ::lgetxattr(from.c_str(), name, value.data(), value.size())) < 0 &&
           errno == ERANGE) {
      value.resize(value.size() * 4);
    }
    if (vlen < 0) throw_errno("getxattr", shown.string() + " " + name);
    if (::lsetxattr(to.c_str(), name, value.data(), static_cast<size_t>(vlen), 0) != 0) {
      throw_errno("setxattr", shown.string() + " " + name);
    }
  }
}

void copy_file_data(int in, int out, const struct stat& st, const fs::path& shown) {
  // FICLONE shares the extents (btrfs, xfs with reflink=1): instant and no extra space.
  if (::ioctl(out, FICLONE, in) == 0) return;
  off_t left = st.st_size;
  while (left > 0) {
    ssize_t n = ::copy_file_range(in, nullptr, out, nullptr, static_cast<size_t>(left), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno("copy_file_range", shown.string());
    if (n == 0) break;  // the file shrank under us; copy what there is
    left -= n;
  }
}

// Ownership before mode (chown clears setuid/setgid) and before xattrs (chown drops
// security.capability); times last, after anything that would touch them.
void apply_metadata(int dirfd, const std::string& name, const struct stat& st,
                    const std::string& xattr_from, const std::string& xattr_to,
                    const fs::path& shown) {
  bool link = S_ISLNK(st.st_mode);
  if (::fchownat(dirfd, name.c_str(), st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) != 0) {
    throw_errno("chown", shown.string());
  }
  if (!link && ::fchmodat(dirfd, name.c_str(), st.st_mode & 07777, 0) != 0) {
    throw_errno("chmod", shown.string());
  }
  copy_xattrs(xattr_from, xattr_to, shown);
  struct timespec times[2] = {st.st_atim, st.st_mtim};
  if (::utimensat(dirfd, name.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) {
    throw_errno("utimensat", shown.string());
  }
}

class TreeCopier {
 public:
  TreeCopier(const fs::path& from_root, int to_root) : from_root_(from_root), to_root_(to_root) {}

  void copy_dir(int from_dir, int to_dir, const fs::path& rel) {
    for (const auto& name : list_dir(from_dir, from_root_ / rel)) {
      copy_entry(from_dir, to_dir, name, rel / name);
    }
  }

 private:
  void copy_entry(int from_dir, int to_dir, const std::string& name, const fs::path& rel) {
    fs::path shown = from_root_ / rel;
    struct stat st = lstat_at(from_dir, name, shown);
    bool linked = !S_ISDIR(st.st_mode) && st.st_nlink > 1;
    if (linked) {
      auto it = first_links_.find({st.st_dev, st.st_ino});
      if (it != first_links_.end()) {
        // The first copy's path lies in directories this copier made, so resolving it from
        // the destination root meets no symlink.
        if (::linkat(to_root_, it->second.c_str(), to_dir, name.c_str(), 0) != 0) {
          throw_errno("link", shown.string());
        }
        return;
      }
    }
    if (S_ISDIR(st.st_mode)) {
      if (::mkdirat(to_dir, name.c_str(), 0700) != 0) throw_errno("mkdir", shown.string());
      UniqueFd from = open_dir_at(from_dir, name, shown);
      UniqueFd to = open_dir_at(to_dir, name, shown);
      copy_dir(from.get(), to.get(), rel);
    } else if (S_ISREG(st.st_mode)) {
      copy_regular(from_dir, to_dir, name, st, shown);
    } else if (S_ISLNK(st.st_mode)) {
      copy_symlink(from_dir, to_dir, name, st, shown);
    } else if (::mknodat(to_dir, name.c_str(), st.st_mode, st.st_rdev) != 0) {
      throw_errno("mknod", shown.string());
    }
    apply_metadata(to_dir, name, st, fd_path(from_dir) + "/" + name, fd_path(to_dir) + "/" + name,
                   shown);
    if (linked) first_links_[{st.st_dev, st.st_ino}] = rel.string();
  }

  void copy_regular(int from_dir, int to_dir, const std::string& name, const struct stat& st,
                    const fs::path& shown) {
    UniqueFd in(::openat(from_dir, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!in) throw_errno("open", shown.string());
    UniqueFd out(
        ::openat(to_dir, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!out) throw_errno("create", shown.string());
    copy_file_data(in.get(), out.get(), st, shown);
  }

  void copy_symlink(int from_dir, int to_dir, const std::string& name, const struct stat& st,
                    const fs::path& shown) {
    std::string target(static_cast<size_t>(st.st_size) + 1, '\0');
    ssize_t n = ::readlinkat(from_dir, name.c_str(), target.data(), target.size());
    if (n < 0) throw_errno("readlink", shown.string());
    target.resize(static_cast<size_t>(n));
    if (::symlinkat(target.c_str(), to_dir, name.c_str()) != 0) {
      throw_errno("symlink", shown.string());
    }
  }

  fs::path from_root_;
  int to_root_;
  std::map<std::pair<dev_t, ino_t>, std::string> first_links_;  // inode -> path of first copy
};

// A bind mount of the same filesystem keeps st_dev, so st_dev alone cannot see it; statx's
// STATX_ATTR_MOUNT_ROOT (Linux 5.8) can. Older kernels fall back to st_dev.
bool is_mount_root(int dirfd, const std::string& name, dev_t parent_dev, dev_t dev) {
  struct statx stx {};
  if (::statx(dirfd, name.c_str(), AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &stx) == 0 &&
      (stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT)) {
    return (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT) != 0;
  }
  return dev != parent_dev;
}

// ENOENT is success throughout: another process's recovery may be deleting the same orphan.
void remove_entries(int dirfd, dev_t dev, const fs::path& shown) {
  for (const auto& name : list_dir(dirfd, shown)) {
    fs::path child = shown / name;
    struct stat st {};
    if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT) continue;
      throw_errno("lstat", child.string());
    }
    if (S_ISDIR(st.st_mode)) {
      if (is_mount_root(dirfd, name, dev, st.st_dev)) {
        throw common::Error(common::ErrorKind::kResource,
                            "remove " + child.string() + ": a filesystem is mounted there");
      }
      int sub = ::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (sub < 0 && errno == ENOENT) continue;
      if (sub < 0) throw_errno("open", child.string());
      {
        UniqueFd owned(sub);
        remove_entries(sub, dev, child);
      }
      if (::unlinkat(dirfd, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) {
        throw_errno("rmdir", child.string());
      }
    } else if (::unlinkat(dirfd, name.c_str(), 0) != 0 && errno != ENOENT) {
      throw_errno("unlink", child.string());
    }
  }
}

void measure(int dirfd, std::set<std::pair<dev_t, ino_t>>& seen, TreeUsage& usage,
             const fs::path& shown) {
  for (const auto& name : list_dir(dirfd, shown)) {
    struct stat st = lstat_at(dirfd, name, shown / name);
    if (!seen.insert({st.st_dev, st.st_ino}).second) continue;
    usage.inodes += 1;
    usage.bytes += static_cast<int64_t>(st.st_blocks) * 512;
    if (S_ISDIR(st.st_mode)) {
      UniqueFd sub = open_dir_at(dirfd, name, shown / name);
      measure(sub.get(), seen, usage, shown / name);
    }
  }
}

}  // namespace

void copy_tree(const fs::path& from, const fs::path& to) {
  UniqueFd from_fd = open_dir_at(AT_FDCWD, from.string(), from);
  UniqueFd to_fd = open_dir_at(AT_FDCWD, to.string(), to);
  TreeCopier(from, to_fd.get()).copy_dir(from_fd.get(), to_fd.get(), {});
  struct stat st {};
  if (::fstat(from_fd.get(), &st) != 0) throw_errno("stat", from.string());
  // "/." so that the l*xattr calls resolve the /proc magic link instead of reading its own.
  apply_metadata(to_fd.get(), ".", st, fd_path(from_fd.get()) + "/.", fd_path(to_fd.get()) + "/.",
                 to);
}

void remove_tree(const fs::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT) return;
  if (fd < 0) throw_errno("open", dir.string());
  UniqueFd owned(fd);
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw_errno("stat", dir.string());
  remove_entries(fd, st.st_dev, dir);
  if (::rmdir(dir.c_str()) != 0 && errno != ENOENT) throw_errno("rmdir", dir.string());
}

TreeUsage tree_usage(const fs::path& dir) {
  UniqueFd fd = open_dir_at(AT_FDCWD, dir.string(), dir);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) throw_errno("stat", dir.string());
  std::set<std::pair<dev_t, ino_t>> seen{{st.st_dev, st.st_ino}};
  TreeUsage usage{static_cast<int64_t>(st.st_blocks) * 512, 1};
  measure(fd.get(), seen, usage, dir);
  return usage;
}

}  // namespace mybuild::snapshot
