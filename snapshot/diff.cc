#include "snapshot/diff.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/unique_fd.h"

namespace mybuild::snapshot {

using common::Error;
using common::UniqueFd;

namespace {

std::string join(const std::string& prefix, const std::string& name) {
  return prefix.empty() ? name : prefix + "/" + name;
}

struct stat lstat_at(int dirfd, const std::string& name, const std::string& path) {
  struct stat st {};
  if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    common::throw_errno("lstat", path);
  }
  return st;
}

UniqueFd open_dir_at(int dirfd, const std::string& name, const std::string& path) {
  int fd = ::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) common::throw_errno("open", path);
  return UniqueFd(fd);
}

bool xattr_is_y(int fd, const char* key) {
  char v[2] = {};
  ssize_t n = ::fgetxattr(fd, key, v, sizeof v);
  return n == 1 && v[0] == 'y';
}

bool is_opaque(int dirfd) {
  return xattr_is_y(dirfd, "trusted.overlay.opaque") || xattr_is_y(dirfd, "user.overlay.opaque");
}

bool is_whiteout(const struct stat& st) { return S_ISCHR(st.st_mode) && st.st_rdev == 0; }

void walk_upper(LayerWriter& w, int dirfd, const std::string& prefix) {
  for (const std::string& name : sorted_names(dirfd, prefix.empty() ? "." : prefix)) {
    std::string path = join(prefix, name);
    struct stat st = lstat_at(dirfd, name, path);
    if (is_whiteout(st)) {
      w.add_whiteout(path);
      continue;
    }
    w.add(path, dirfd, name.c_str(), st);
    if (S_ISDIR(st.st_mode)) {
      UniqueFd child = open_dir_at(dirfd, name, path);
      if (is_opaque(child.get())) w.add_opaque(path);
      walk_upper(w, child.get(), path);
    }
  }
}

bool same_content(int lower_dir, int upper_dir, const std::string& name, const std::string& path) {
  UniqueFd a(::openat(lower_dir, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  UniqueFd b(::openat(upper_dir, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!a || !b) common::throw_errno("open", path);
  std::vector<char> ba(64 * 1024), bb(64 * 1024);
  common::FdReader ra(std::move(a)), rb(std::move(b));
  for (;;) {
    size_t na = ra.read(ba);
    size_t got = 0;
    while (got < na) {  // short reads of regular files are rare but legal
      size_t n = rb.read({bb.data() + got, na - got});
      if (n == 0) return false;
      got += n;
    }
    if (na == 0) return rb.read(bb) == 0;
    if (std::memcmp(ba.data(), bb.data(), na) != 0) return false;
  }
}

std::string link_target(int dirfd, const std::string& name) {
  char buf[4096];
  ssize_t n = ::readlinkat(dirfd, name.c_str(), buf, sizeof buf);
  if (n < 0) common::throw_errno("readlink", name);
  return std::string(buf, static_cast<size_t>(n));
}

// The generic differ: lower and upper side by side. Directories that exist on both sides wait
// on a stack until something below them changes, then go out before that change.
class TreeDiff {
 public:
  explicit TreeDiff(LayerWriter& w) : w_(w) {}

  void dir(int lower, int upper, const std::string& prefix) {
    std::vector<std::string> ln =
        lower >= 0 ? sorted_names(lower, prefix) : std::vector<std::string>{};
    std::vector<std::string> un = sorted_names(upper, prefix.empty() ? "." : prefix);
    size_t i = 0, j = 0;
    while (i < ln.size() || j < un.size()) {
      if (j == un.size() || (i < ln.size() && ln[i] < un[j])) {
        flush();
        w_.add_whiteout(join(prefix, ln[i++]));
      } else if (i == ln.size() || un[j] < ln[i]) {
        added(upper, un[j++], prefix);
      } else {
        both(lower, upper, un[j], prefix);
        ++i;
        ++j;
      }
    }
  }

 private:
  struct Pending {
    int dirfd;
    std::string name;
    std::string path;
    struct stat st;
    bool emitted;
  };

  void flush() {
    for (Pending& p : pending_) {
      if (p.emitted) continue;
      w_.add(p.path, p.dirfd, p.name.c_str(), p.st);
      p.emitted = true;
    }
  }

  void added(int upper, const std::string& name, const std::string& prefix) {
    std::string path = join(prefix, name);
    struct stat st = lstat_at(upper, name, path);
    flush();
    w_.add(path, upper, name.c_str(), st);
    if (S_ISDIR(st.st_mode)) {
      UniqueFd child = open_dir_at(upper, name, path);
      dir(-1, child.get(), path);
    }
  }

  void both(int lower, int upper, const std::string& name, const std::string& prefix) {
    std::string path = join(prefix, name);
    struct stat ls = lstat_at(lower, name, path);
    struct stat us = lstat_at(upper, name, path);
    if ((ls.st_mode & S_IFMT) != (us.st_mode & S_IFMT)) {
      flush();
      w_.add(path, upper, name.c_str(), us);
      if (S_ISDIR(us.st_mode)) {
        // overlayfs makes a directory created over a deleted file opaque; so do we.
        w_.add_opaque(path);
        UniqueFd child = open_dir_at(upper, name, path);
        dir(-1, child.get(), path);
      }
      return;
    }
    bool changed = metadata_differs(lower, upper, name, ls, us);
    if (!S_ISDIR(us.st_mode)) {
      if (changed || (S_ISREG(us.st_mode) && us.st_mtim.tv_nsec == 0 &&
                      !same_content(lower, upper, name, path))) {
        flush();
        w_.add(path, upper, name.c_str(), us);
      }
      return;
    }
    pending_.push_back({upper, name, path, us, false});
    if (changed) flush();
    UniqueFd lchild = open_dir_at(lower, name, path);
    UniqueFd uchild = open_dir_at(upper, name, path);
    dir(lchild.get(), uchild.get(), path);
    pending_.pop_back();
  }

  static bool metadata_differs(int lower, int upper, const std::string& name, const struct stat& l,
                               const struct stat& u) {
    if (l.st_mode != u.st_mode || l.st_uid != u.st_uid || l.st_gid != u.st_gid ||
        l.st_mtim.tv_sec != u.st_mtim.tv_sec || l.st_mtim.tv_nsec != u.st_mtim.tv_nsec) {
      return true;
    }
    if (S_ISREG(u.st_mode) && l.st_size != u.st_size) return true;
    if ((S_ISCHR(u.st_mode) || S_ISBLK(u.st_mode)) && l.st_rdev != u.st_rdev) return true;
    if (S_ISLNK(u.st_mode)) return link_target(lower, name) != link_target(upper, name);
    return layer_xattrs(lower, name.c_str()) != layer_xattrs(upper, name.c_str());
  }

  LayerWriter& w_;
  std::vector<Pending> pending_;
};

}  // namespace

Layer diff_overlay_upper(const std::filesystem::path& upper, common::Writer& out,
                         const LayerOptions& options) {
  UniqueFd dir = common::open_file(upper, O_RDONLY | O_DIRECTORY);
  LayerWriter w(out, options);
  try {
    walk_upper(w, dir.get(), "");
  } catch (Error& e) {
    e.add_context("diffing overlay upper dir " + upper.string());
    throw;
  }
  return w.finish();
}

Layer diff_trees(const std::filesystem::path& lower, const std::filesystem::path& upper,
                 common::Writer& out, const LayerOptions& options) {
  UniqueFd l = common::open_file(lower, O_RDONLY | O_DIRECTORY);
  UniqueFd u = common::open_file(upper, O_RDONLY | O_DIRECTORY);
  LayerWriter w(out, options);
  try {
    TreeDiff(w).dir(l.get(), u.get(), "");
  } catch (Error& e) {
    e.add_context("diffing " + lower.string() + " -> " + upper.string());
    throw;
  }
  return w.finish();
}

}  // namespace mybuild::snapshot
