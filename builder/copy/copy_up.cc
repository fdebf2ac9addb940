// prepare_upper_like_mount (copy_up.h): the look-ups in the parent and the copies-up.
#include "builder/copy/copy_up.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <map>

#include "builder/context/path.h"
#include "builder/copy/reuse.h"
#include "common/error.h"

namespace mybuild::builder {
namespace {

std::string dir_of_rel(const std::string& rel) {
  const size_t slash = rel.rfind('/');
  return slash == std::string::npos ? std::string() : rel.substr(0, slash);
}

std::string_view kind_of(const struct stat& st) {
  if (S_ISDIR(st.st_mode)) return "a directory";
  if (S_ISREG(st.st_mode)) return "a regular file";
  if (S_ISLNK(st.st_mode)) return "a symlink";
  return "a special file";
}

// Overlay's own xattrs: a copy-up never takes them (and the diff leaves them out).
bool overlay_private_xattr(std::string_view key) {
  return key.starts_with("trusted.overlay.") || key.starts_with("user.overlay.");
}

class CopyUpWalk {
 public:
  CopyUpWalk(const std::filesystem::path& upper, const TreesBelow& below, const BuildContext& ctx)
      : upper_(upper), below_(below), ctx_(ctx) {}

  std::optional<std::string> run(std::string_view dest, std::span<const CopySource> sources) {
    RootPathOptions ropts;
    ropts.allow_missing = true;
    const auto dest_rel = resolve_in_root(upper_, dest, ropts);  // empty: lexical
    if (!dest_rel) return "the destination is outside the root";
    // copy_into's rule, for a CopyPlan::dest (absolute, a trailing '/' for a directory).
    const auto dest_below = in_parent(*dest_rel);
    const bool dest_is_dir = dest.empty() || dest.back() == '/' || sources.size() > 1 ||
                             (dest_below && S_ISDIR(dest_below->st_mode));
    for (const CopySource& s : sources) {
      if (!source(s, *dest_rel, dest_is_dir)) return why_;
    }
    set_parent_times();
    if (needs_evidence_ && !evidence_) {
      return "no earlier result shows that overlay leaves a new directory inside one of the "
             "parent's plain (not opaque)";
    }
    return std::nullopt;
  }

 private:
  bool source(const CopySource& s, const std::string& dest_rel, bool dest_is_dir) {
    const std::string dir = s.is_dir || dest_is_dir ? dest_rel : dir_of_rel(dest_rel);
    bool exists = false;
    if (!walk_to(dir, exists)) return false;
    if (!exists) return true;  // below a directory the parent lacks, nothing of it shows
    if (s.is_dir) return merge(s.rel, dest_rel);
    return lands_alike(s.rel, dest_is_dir ? join_rel(dest_rel, s.name) : dest_rel);
  }

  // The directories copy_into passes or makes on its way to `dir` (ensure_dirs): `exists` says
  // whether the parent has all of `dir`. The deepest one it has is copied up: the copy writes
  // in it (makes the next one, or its files) or onto it (a directory source's times).
  bool walk_to(const std::string& dir, bool& exists) {
    std::string at, deepest;
    exists = true;
    for (size_t i = 0; i < dir.size() && exists;) {
      size_t j = dir.find('/', i);
      if (j == std::string::npos) j = dir.size();
      at = join_rel(at, dir.substr(i, j - i));
      i = j + 1;
      const auto st = in_parent(at);
      if (!st) {
        exists = false;
        new_dir_in_parents(at);
      } else if (!S_ISDIR(st->st_mode)) {
        return decline("the parent has /" + at + " as " + std::string(kind_of(*st)));
      } else {
        deepest = at;
      }
    }
    copy_up(deepest);
    return why_.empty();
  }

  // Directory source `src` onto `dst`, a directory of the parent (already copied up): each name
  // the copy makes there is looked up in the parent.
  bool merge(const std::string& src, const std::string& dst) {
    for (const std::string& name : ctx_.list(src)) {
      const std::string s = join_rel(src, name), d = join_rel(dst, name);
      const struct stat from = context_lstat(s);
      const auto below = in_parent(d);
      if (!below) {
        if (S_ISDIR(from.st_mode)) new_dir_in_parents(d);
      } else if (S_ISDIR(from.st_mode) && S_ISDIR(below->st_mode)) {
        copy_up(d);  // merged: copy_directory sets its owner, mode, xattrs and times after
        if (!merge(s, d)) return false;
      } else if (!lands_alike(s, d)) {
        return false;
      }
      if (!why_.empty()) return false;
    }
    return true;
  }

  // A non-directory source onto `dst` in a directory of the parent: what the parent has there
  // must be nothing, or a regular file that a regular file replaces (unlink, then create).
  bool lands_alike(const std::string& src, const std::string& dst) {
    const auto below = in_parent(dst);
    if (!below) return true;
    const struct stat from = context_lstat(src);
    if (S_ISREG(from.st_mode) && S_ISREG(below->st_mode)) return true;
    return decline("the copy puts " + std::string(kind_of(from)) + " at /" + dst +
                   ", where the parent has " + std::string(kind_of(*below)));
  }

  // A directory the copy makes inside one of the parent's: overlay may make it opaque (copy_up.h);
  // its twin in the earlier result shows whether it does here.
  void new_dir_in_parents(const std::string& rel) {
    needs_evidence_ = true;
    struct stat st {};
    const auto earlier = below_.earlier_upper / rel;
    if (::lstat(earlier.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return;
    if (opaque_directory(earlier)) {
      decline("overlay made /" + rel + " opaque in the earlier result");
    } else {
      evidence_ = true;
    }
  }

  // What overlay's copy-up makes of directory `rel` of the parent (and of its parents first):
  // the same mode, owner and xattrs; the times are set once every copy-up is made.
  void copy_up(const std::string& rel) {
    if (rel.empty() || copied_.contains(rel)) return;
    copy_up(dir_of_rel(rel));
    const auto st = in_parent(rel);
    const auto to = upper_ / rel;
    if (!st || !S_ISDIR(st->st_mode)) {
      throw common::Error(common::ErrorKind::kInternal, "copy-up of /" + rel + ": no directory");
    }
    if (::mkdir(to.c_str(), 0700) != 0) common::throw_errno("mkdir", to.string());
    if (::lchown(to.c_str(), st->st_uid, st->st_gid) != 0)
      common::throw_errno("lchown", to.string());
    copy_xattrs_up(below_.parent / rel, to);
    if (::chmod(to.c_str(), st->st_mode & 07777) != 0) common::throw_errno("chmod", to.string());
    copied_.emplace(rel, *st);
  }

  void copy_xattrs_up(const std::filesystem::path& from, const std::filesystem::path& to) {
    ssize_t size = ::llistxattr(from.c_str(), nullptr, 0);
    if (size < 0) common::throw_errno("llistxattr", from.string());
    std::string names(static_cast<size_t>(size), '\0');
    size = ::llistxattr(from.c_str(), names.data(), names.size());
    if (size < 0) common::throw_errno("llistxattr", from.string());
    names.resize(static_cast<size_t>(size));
    for (size_t i = 0; i < names.size(); i += std::char_traits<char>::length(&names[i]) + 1) {
      const char* name = &names[i];
      if (overlay_private_xattr(name)) continue;
      const ssize_t len = ::lgetxattr(from.c_str(), name, nullptr, 0);
      std::string value(static_cast<size_t>(std::max<ssize_t>(len, 0)), '\0');
      const ssize_t got =
          len < 0 ? -1 : ::lgetxattr(from.c_str(), name, value.data(), value.size());
      if (got < 0 ||
          ::lsetxattr(to.c_str(), name, value.data(), static_cast<size_t>(got), 0) != 0) {
        decline("xattr " + std::string(name) + " of " + from.string() + " does not copy up");
      }
    }
  }

  // Copy-up restores the times of the directory it makes a directory in; the copy then changes
  // them only where it writes, as through the mount.
  void set_parent_times() {
    for (const auto& [rel, st] : copied_) {
      const struct timespec times[2] = {st.st_atim, st.st_mtim};
      const auto to = upper_ / rel;
      if (::utimensat(AT_FDCWD, to.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) {
        common::throw_errno("utimensat", to.string());
      }
    }
  }

  std::optional<struct stat> in_parent(const std::string& rel) const {
    struct stat st {};
    const auto at = rel.empty() ? below_.parent : below_.parent / rel;
    if (::lstat(at.c_str(), &st) == 0) return st;
    if (errno == ENOENT) return std::nullopt;
    common::throw_errno("lstat", at.string());
  }

  struct stat context_lstat(const std::string& rel) const {
    struct stat st {};
    const auto at = ctx_.host_path(rel);
    if (::lstat(at.c_str(), &st) != 0) common::throw_errno("lstat", at.string());
    return st;
  }

  bool decline(std::string why) {
    if (why_.empty()) why_ = std::move(why);
    return false;
  }

  const std::filesystem::path& upper_;
  const TreesBelow& below_;
  const BuildContext& ctx_;
  std::map<std::string, struct stat> copied_;  // by path: parents before their children
  std::string why_;
  bool needs_evidence_ = false, evidence_ = false;
};

}  // namespace

std::optional<std::string> prepare_upper_like_mount(const std::filesystem::path& upper,
                                                    const TreesBelow& below, std::string_view dest,
                                                    const BuildContext& context,
                                                    std::span<const CopySource> sources) {
  if (below.parent.empty() || sources.empty()) return std::nullopt;  // nothing below, or no write
  return CopyUpWalk(upper, below, context).run(dest, sources);
}

}  // namespace mybuild::builder
