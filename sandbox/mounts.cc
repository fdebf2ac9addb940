// Child side: assembling the new root. Every target is resolved inside the rootfs with openat2
// RESOLVE_IN_ROOT, so an untrusted image's symlinks (etc -> /, proc -> /host) resolve against
// the rootfs, never the host, and the mount lands on the fd's path (/proc/self/fd/N) that was
// checked. No allocation: paths are built in fixed stack buffers.
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "sandbox/internal/child_ops.h"

namespace mybuild::sandbox::internal {
namespace {

constexpr size_t kPathMax = 4096;

// "/proc/self/fd/<fd>" without snprintf.
void fd_path(int fd, char (&buf)[40]) {
  const char prefix[] = "/proc/self/fd/";
  std::memcpy(buf, prefix, sizeof(prefix));
  char digits[16];
  int n = 0;
  unsigned v = static_cast<unsigned>(fd);
  do {
    digits[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  size_t pos = sizeof(prefix) - 1;
  while (n > 0) buf[pos++] = digits[--n];
  buf[pos] = '\0';
}

int errno_or(int fallback) { return errno != 0 ? errno : fallback; }

// Creates every missing component of rel (dirs; the last one a file when `file`), each
// created relative to its parent opened inside the root.
int make_path(int rootfd, const char* rel, bool file) {
  char buf[kPathMax];
  size_t len = std::strlen(rel);
  if (len >= kPathMax) return ENAMETOOLONG;
  std::memcpy(buf, rel, len + 1);
  size_t start = 0;
  while (start < len) {
    size_t end = start;
    while (end < len && buf[end] != '/') ++end;
    if (end == start) {
      ++start;
      continue;
    }
    bool last = end == len;
    buf[end] = '\0';
    int fd = open_in_root(rootfd, buf, O_PATH | O_CLOEXEC);
    if (fd >= 0) {
      ::close(fd);
    } else if (fd == -ENOENT) {
      int parent = rootfd;
      if (start > 0) {
        buf[start - 1] = '\0';
        parent = open_in_root(rootfd, buf, O_PATH | O_DIRECTORY | O_CLOEXEC);
        buf[start - 1] = '/';
        if (parent < 0) return -parent;
      }
      int rc = 0;
      if (last && file) {
        int f = ::openat(parent, buf + start, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW,
                         0644);
        if (f < 0 && errno != EEXIST) rc = errno;
        if (f >= 0) ::close(f);
      } else if (::mkdirat(parent, buf + start, 0755) != 0 && errno != EEXIST) {
        rc = errno;
      }
      if (parent != rootfd) ::close(parent);
      if (rc != 0) return rc;
    } else {
      return -fd;
    }
    if (!last) buf[end] = '/';
    start = end + 1;
  }
  return 0;
}

int remount(int rootfd, const char* rel, unsigned long flags) {
  // Reopen: the fd used for mounting names the covered directory, not the new mount.
  int fd = open_in_root(rootfd, rel, O_PATH | O_CLOEXEC);
  if (fd < 0) return -fd;
  char path[40];
  fd_path(fd, path);
  int rc = ::mount(nullptr, path, nullptr, MS_REMOUNT | MS_BIND | flags, nullptr) == 0 ? 0 : errno;
  ::close(fd);
  return rc;
}

// Rootless (a user namespace not owning the host's network namespace) the kernel refuses a new
// sysfs (EPERM): bind the host's /sys instead, read-only as the sysfs would have been, as
// rootless podman does. A devpts with gid=5 fails (EINVAL) when gid 5 is not mapped (rootless
// without a subgid range): mount it without the tty group. Returns 0 or errno.
int rootless_fallback(int rootfd, const MountOp& op, const char* path, int err) {
  if (op.fstype == nullptr) return err;
  if (err == EPERM && std::strcmp(op.fstype, "sysfs") == 0) {
    if (::mount("/sys", path, nullptr, MS_BIND | MS_REC, nullptr) != 0) return errno;
    return remount(rootfd, op.target, op.flags & (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC));
  }
  if (err == EINVAL && std::strcmp(op.fstype, "devpts") == 0) {
    const char* no_tty_group = "newinstance,ptmxmode=0666,mode=0620";
    return ::mount(op.source, path, op.fstype, op.flags, no_tty_group) == 0 ? 0 : errno;
  }
  return err;
}

}  // namespace

int open_in_root(int rootfd, const char* rel, int flags) {
  open_how how{};
  how.flags = static_cast<uint64_t>(flags);
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  // An empty relative path means the root itself.
  const char* p = (rel == nullptr || rel[0] == '\0') ? "." : rel;
  long fd = ::syscall(SYS_openat2, rootfd, p, &how, sizeof(how));
  return fd < 0 ? -errno_or(EINVAL) : static_cast<int>(fd);
}

int make_dir_in_root(int rootfd, const char* rel, Subject& subject) {
  subject = {"mkdir", nullptr, rel};
  return make_path(rootfd, rel, false);
}

int apply_mount(int rootfd, const MountOp& op, Subject& subject) {
  subject = {op.target_is_file ? "create" : "mkdir", nullptr, op.target};
  int rc = make_path(rootfd, op.target, op.target_is_file);
  if (rc != 0) return rc;
  subject.call = "open";
  int fd = open_in_root(rootfd, op.target, O_PATH | O_CLOEXEC);
  if (fd < 0) return -fd;
  char path[40];
  fd_path(fd, path);
  subject = {"mount", op.source, op.target};
  rc = ::mount(op.source, path, op.fstype, op.flags, op.data) == 0 ? 0 : errno;
  if (rc != 0) rc = rootless_fallback(rootfd, op, path, rc);
  ::close(fd);
  if (rc == 0 && op.remount_flags != 0) {
    subject.call = "remount";
    rc = remount(rootfd, op.target, op.remount_flags);
  }
  return rc;
}

int apply_mounts(int rootfd, const MountList& list, Subject& subject) {
  for (size_t i = 0; i < list.count; ++i) {
    int rc = apply_mount(rootfd, list.ops[i], subject);
    if (rc != 0) return rc;
  }
  return 0;
}

int make_symlinks(int rootfd, const char* const* pairs, Subject& subject) {
  for (; pairs != nullptr && pairs[0] != nullptr; pairs += 2) {
    subject = {"symlink", pairs[0], pairs[1]};
    // Link paths are inside /dev, our own fresh tmpfs: no untrusted symlinks to fear there.
    char path[kPathMax];
    size_t len = std::strlen(pairs[1]);
    if (len >= kPathMax) return ENAMETOOLONG;
    std::memcpy(path, pairs[1], len + 1);
    char* slash = std::strrchr(path, '/');
    int dir = rootfd;
    const char* name = path;
    if (slash != nullptr) {
      *slash = '\0';
      dir = open_in_root(rootfd, path, O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (dir < 0) return -dir;
      name = slash + 1;
    }
    int rc = ::symlinkat(pairs[0], dir, name) == 0 || errno == EEXIST ? 0 : errno;
    if (dir != rootfd) ::close(dir);
    if (rc != 0) return rc;
  }
  return 0;
}

// runc's maskedPaths: directories get an empty read-only tmpfs, files /dev/null.
int mask_paths(int rootfd, const char* const* paths, Subject& subject) {
  for (; paths != nullptr && *paths != nullptr; ++paths) {
    subject = {"mask", nullptr, *paths};
    int fd = open_in_root(rootfd, *paths, O_PATH | O_CLOEXEC);
    if (fd == -ENOENT) continue;
    if (fd < 0) return -fd;
    struct stat st {};
    int rc = ::fstat(fd, &st) == 0 ? 0 : errno;
    char path[40];
    fd_path(fd, path);
    if (rc == 0) {
      bool ok = S_ISDIR(st.st_mode)
                    ? ::mount("tmpfs", path, "tmpfs", MS_RDONLY, "size=0,mode=0555") == 0
                    : ::mount("/dev/null", path, nullptr, MS_BIND, nullptr) == 0;
      if (!ok) rc = errno;
    }
    ::close(fd);
    if (rc != 0) return rc;
  }
  return 0;
}

// runc's readonlyPaths: bind each onto itself, then remount read-only.
int make_readonly(int rootfd, const char* const* paths, Subject& subject) {
  for (; paths != nullptr && *paths != nullptr; ++paths) {
    subject = {"remount read-only", nullptr, *paths};
    int fd = open_in_root(rootfd, *paths, O_PATH | O_CLOEXEC);
    if (fd == -ENOENT) continue;
    if (fd < 0) return -fd;
    char path[40];
    fd_path(fd, path);
    int rc = ::mount(path, path, nullptr, MS_BIND | MS_REC, nullptr) == 0 ? 0 : errno;
    ::close(fd);
    if (rc == 0) rc = remount(rootfd, *paths, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC);
    if (rc != 0) return rc;
  }
  return 0;
}

// Mounts made here that only need to stop being writable (the v1 cgroup tmpfs once its binds
// are in): remounted read-only in place, leaving no writable mount underneath.
int seal_readonly(int rootfd, const char* const* paths, Subject& subject) {
  for (; paths != nullptr && *paths != nullptr; ++paths) {
    subject = {"remount read-only", nullptr, *paths};
    int rc = remount(rootfd, *paths, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC);
    if (rc != 0) return rc;
  }
  return 0;
}

// Secrets: a private tmpfs (invisible to the host: we are in our own mount namespace) holds
// each secret file; the ops' sources point into it and are bind-mounted read-only afterwards.
int stage_secrets(const char* staging, const MountList& secrets, Subject& subject) {
  if (secrets.count == 0) return 0;
  subject = {"mount", "tmpfs", staging};
  // Not noexec: each file is bind-mounted on its own, noexec unless it is an executable script.
  if (::mount("tmpfs", staging, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0700") != 0) {
    return errno;
  }
  for (size_t i = 0; i < secrets.count; ++i) {
    const MountOp& op = secrets.ops[i];
    subject = {"write", nullptr, op.source};
    int fd = ::open(op.source, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0400);
    if (fd < 0) return errno;
    size_t done = 0;
    while (done < op.content_size) {
      ssize_t n = ::write(fd, op.content + done, op.content_size - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        int err = errno_or(EIO);
        ::close(fd);
        return err;
      }
      done += static_cast<size_t>(n);
    }
    int rc =
        ::fchown(fd, op.file_uid, op.file_gid) == 0 && ::fchmod(fd, op.file_mode) == 0 ? 0 : errno;
    ::close(fd);
    if (rc != 0) return rc;
  }
  return 0;
}

}  // namespace mybuild::sandbox::internal
