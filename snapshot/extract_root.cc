#include "snapshot/extract_root.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "common/error.h"
#include "snapshot/layer_writer.h"

namespace mybuild::snapshot {

using common::Error;
using common::ErrorKind;
using common::UniqueFd;

namespace {

std::string join(const std::vector<std::string>& parts, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    if (i > 0) out += '/';
    out += parts[i];
  }
  return out;
}

}  // namespace

bool split_entry_path(std::string_view path, std::vector<std::string>& out) {
  out.clear();
  while (!path.empty()) {
    size_t slash = path.find('/');
    std::string_view part = path.substr(0, slash);
    path = slash == std::string_view::npos ? std::string_view{} : path.substr(slash + 1);
    if (part.empty() || part == ".") continue;
    if (part == "..") return false;
    out.emplace_back(part);
  }
  return true;
}

RootDir::RootDir(const std::filesystem::path& root, Resolver resolver)
    : openat2_(resolver == Resolver::kAuto) {
  int fd = ::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) common::throw_errno("open", root.string());
  root_.reset(fd);
  if (openat2_) {
    open_how how{};
    how.flags = O_PATH | O_CLOEXEC;
    how.resolve = RESOLVE_IN_ROOT;
    long probe = ::syscall(SYS_openat2, root_.get(), ".", &how, sizeof how);
    if (probe >= 0) {
      ::close(static_cast<int>(probe));
    } else if (errno == ENOSYS) {
      openat2_ = false;
    }
  }
}

int RootDir::lookup(int dirfd, const std::string& rel, int flags) const {
  if (openat2_) {
    open_how how{};
    how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    for (;;) {
      long fd = ::syscall(SYS_openat2, dirfd, rel.empty() ? "." : rel.c_str(), &how, sizeof how);
      if (fd >= 0 || errno != EAGAIN) return static_cast<int>(fd);
    }
  }
  // Fallback: one component at a time, refusing symlinks anywhere in the path.
  std::vector<std::string> parts;
  if (!split_entry_path(rel, parts)) {
    errno = EXDEV;
    return -1;
  }
  UniqueFd cur(::fcntl(dirfd, F_DUPFD_CLOEXEC, 0));  // never a descriptor a RUN could inherit
  if (!cur) return -1;
  for (size_t i = 0; i < parts.size(); ++i) {
    bool last = i + 1 == parts.size();
    int f = last ? (flags | O_NOFOLLOW) : (O_PATH | O_DIRECTORY | O_NOFOLLOW);
    int fd = ::openat(cur.get(), parts[i].c_str(), f | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ELOOP && !last) errno = ENOTDIR;
      return -1;
    }
    cur.reset(fd);
  }
  if (parts.empty()) return ::openat(dirfd, ".", flags | O_CLOEXEC);
  return cur.release();
}

int RootDir::open_at(const std::string& rel, int flags) const {
  return lookup(root_.get(), rel, flags | O_NOFOLLOW);
}

UniqueFd RootDir::open_dir(const std::vector<std::string>& components, bool create) const {
  const int flags = O_PATH | O_DIRECTORY;
  int fd = lookup(root_.get(), join(components, components.size()), flags);
  if (fd >= 0) return UniqueFd(fd);
  if (errno != ENOENT || !create) {
    common::throw_errno("open", "/" + join(components, components.size()));
  }
  // Slow path: find the first missing component and make the rest.
  UniqueFd cur(lookup(root_.get(), "", flags));
  for (size_t i = 0; i < components.size(); ++i) {
    std::string prefix = join(components, i + 1);
    fd = lookup(root_.get(), prefix, flags);
    if (fd < 0 && errno == ENOENT) {
      if (::mkdirat(cur.get(), components[i].c_str(), 0755) != 0 && errno != EEXIST) {
        common::throw_errno("mkdir", "/" + prefix);
      }
      fd = lookup(root_.get(), prefix, flags);
    }
    if (fd < 0) {
      if (errno == ENOTDIR || errno == ENOENT) {
        throw Error(ErrorKind::kIntegrity,
                    "/" + prefix +
                        " is not a directory inside the root (a dangling symlink or "
                        "a file where a directory is needed)");
      }
      common::throw_errno("open", "/" + prefix);
    }
    cur.reset(fd);
  }
  return cur;
}

void remove_all_at(int dirfd, const std::string& name) {
  struct stat st {};
  if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return;
    common::throw_errno("lstat", name);
  }
  if (S_ISDIR(st.st_mode)) {
    int fd = ::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) common::throw_errno("open", name);
    UniqueFd dir(fd);
    for (const std::string& child : sorted_names(dir.get(), name)) remove_all_at(dir.get(), child);
    if (::unlinkat(dirfd, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) {
      common::throw_errno("rmdir", name);
    }
    return;
  }
  if (::unlinkat(dirfd, name.c_str(), 0) != 0 && errno != ENOENT) {
    common::throw_errno("unlink", name);
  }
}

}  // namespace mybuild::snapshot
