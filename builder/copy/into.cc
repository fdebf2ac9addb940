#include "builder/copy/into.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <vector>

#include "builder/context/path.h"
#include "common/error.h"
#include "common/io.h"
#include "common/log.h"
#include "common/unique_fd.h"

namespace mybuild::builder {
namespace {

using common::Error;
using common::ErrorKind;

// lchown, with EINVAL explained: in a rootless mybuild (builder/rootless.h) without subordinate
// ids only uid/gid 0 exist, and the kernel answers EINVAL for any other.
void change_owner(const std::filesystem::path& host, uid_t uid, gid_t gid, const std::string& at) {
  if (::lchown(host.c_str(), uid, gid) == 0) return;
  if (errno != EINVAL) common::throw_errno("lchown", at);
  std::string message = "lchown(" + at + ") to ";
  message += std::to_string(uid) + ":" + std::to_string(gid);
  message +=
      ": the id is not mapped in this user namespace (rootless without subordinate ids;"
      " fix: usermod --add-subuids 100000-165535 --add-subgids 100000-165535 <user>)";
  throw Error(ErrorKind::kSandbox, message);
}

constexpr mode_t kDefaultDirMode = 0755;  // fsutil defaultDirectoryMode

std::string parent_of(const std::string& rel) {
  const size_t slash = rel.rfind('/');
  return slash == std::string::npos ? std::string() : rel.substr(0, slash);
}

bool names_directory(std::string_view dest) {
  return dest.empty() || dest.back() == '/' || dest == "." ||
         (dest.size() >= 2 && dest.substr(dest.size() - 2) == "/.");
}

class Copier {
 public:
  Copier(const std::filesystem::path& root, const BuildContext& ctx, const CopyOptions& opts)
      : root_(root), ctx_(&ctx), opts_(opts) {}

  // The context the next copy() reads (a source's narrowed view, or the copy's context).
  void read_from(const BuildContext& ctx) { ctx_ = &ctx; }

  // Creates every missing directory of `rel` (inside the root), refusing to pass a symlink.
  // `rel` itself is left for copy_directory to announce to a follower when `rel_is_top`.
  void ensure_dirs(const std::string& rel, bool rel_is_top = false) {
    std::vector<std::string> created;
    std::string at;
    size_t i = 0;
    while (i < rel.size()) {
      size_t j = rel.find('/', i);
      if (j == std::string::npos) j = rel.size();
      at = join_rel(at, rel.substr(i, j - i));
      i = j + 1;
      struct stat st {};
      const auto host = dest(at);
      if (::lstat(host.c_str(), &st) == 0) {
        if (!S_ISDIR(st.st_mode)) {
          throw Error(ErrorKind::kResource, "cannot copy to non-directory: /" + at);
        }
        continue;
      }
      if (errno != ENOENT) common::throw_errno("lstat", "/" + at);
      const mode_t mode =
          opts_.chmod && opts_.chmod->octal() ? *opts_.chmod->octal() : kDefaultDirMode;
      if (::mkdir(host.c_str(), 0700) != 0) common::throw_errno("mkdir", "/" + at);
      if (opts_.recorder) opts_.recorder->created(at);
      change_owner(host, opts_.owner.uid, opts_.owner.gid, "/" + at);
      if (::chmod(host.c_str(), mode) != 0) common::throw_errno("chmod", "/" + at);
      ++stats_.dirs;
      if (opts_.follower) created.push_back(at);
    }
    // Each is final once the next one is made in it (nothing else of this copy goes there).
    for (const std::string& dir : created) {
      if (!rel_is_top || dir != rel) opts_.follower->entry(dir);
    }
  }

  // Copies context entry `src` (root-relative in the context) to `dst` (root-relative in the
  // destination). `top` is the destination directory of a directory source: it keeps its own
  // mode and owner and only takes the source's timestamps (fsutil: overwriteTargetMetadata
  // false at the top, true below).
  // `in_new_dir`: the destination's parent was made by this copy, so nothing is there yet
  // (one lstat through the overlay saved per file: syscalls dominate COPY of small files).
  void copy(const std::string& src, const std::string& dst, bool top, bool in_new_dir = false) {
    if (opts_.stop && opts_.stop->load(std::memory_order_relaxed)) {
      throw Error(ErrorKind::kCancelled, "COPY stopped: its result is not needed");
    }
    struct stat st {};
    const auto from = ctx_->host_path(src);
    if (::lstat(from.c_str(), &st) != 0) common::throw_errno("lstat", from.string());
    struct stat tst {};
    const auto to = dest(dst);
    const bool exists = !in_new_dir && ::lstat(to.c_str(), &tst) == 0;
    if (!exists && !in_new_dir && errno != ENOENT) common::throw_errno("lstat", "/" + dst);
    if (!exists && opts_.recorder) opts_.recorder->created(dst);
    if (S_ISDIR(st.st_mode)) {
      copy_directory(src, dst, st, exists ? &tst : nullptr, top);
      return;
    }
    if (exists && S_ISDIR(tst.st_mode)) {
      throw Error(ErrorKind::kResource, "cannot replace directory /" + dst + " with a file");
    }
    if (exists && ::unlink(to.c_str()) != 0) common::throw_errno("unlink", "/" + dst);
    if (S_ISREG(st.st_mode)) {
      if (st.st_nlink > 1) {
        auto [it, fresh] = links_.try_emplace({st.st_dev, st.st_ino}, dst);
        if (!fresh) {  // the same inode was copied already: keep them one inode
          if (::link(dest(it->second).c_str(), to.c_str()) != 0) {
            common::throw_errno("link", "/" + dst);
          }
          ++stats_.hardlinks;
          announce(dst);
          return;
        }
      }
      if (!link_earlier(src, dst, st)) copy_file(from, to, dst, st);
      if (opts_.recorder) opts_.recorder->copied(src, dst, st);
      ++stats_.files;
      announce(dst);
      return;
    } else if (S_ISLNK(st.st_mode)) {
      std::error_code ec;
      const auto target = std::filesystem::read_symlink(from, ec);
      if (ec) common::throw_errno("readlink", from.string(), ec.value());
      if (::symlink(target.c_str(), to.c_str()) != 0) common::throw_errno("symlink", "/" + dst);
      ++stats_.symlinks;
    } else if (::mknod(to.c_str(), st.st_mode & (S_IFMT | 07777), st.st_rdev) != 0) {
      common::throw_errno("mknod", "/" + dst);
    }
    apply_metadata(st, from, dst);
    announce(dst);
  }

  CopyStats stats() const { return stats_; }
  std::filesystem::path dest(const std::string& rel) const {
    return rel.empty() ? root_ : root_ / rel;
  }

 private:
  void copy_directory(const std::string& src, const std::string& dst, const struct stat& st,
                      const struct stat* existing, bool top) {
    if (existing && !S_ISDIR(existing->st_mode)) {
      throw Error(ErrorKind::kResource, "cannot copy to non-directory: /" + dst);
    }
    if (!existing) {
      if (::mkdir(dest(dst).c_str(), 0700) != 0) common::throw_errno("mkdir", "/" + dst);
      ++stats_.dirs;
    }
    if (opts_.follower) announce_directory(src, dst, st, existing != nullptr && top);
    for (const std::string& name : ctx_->list(src)) {
      copy(join_rel(src, name), join_rel(dst, name), false, existing == nullptr);
    }
    if (existing && top) {
      set_times(st, dst);
    } else {
      apply_metadata(st, ctx_->host_path(src), dst);
    }
  }

  // An unchanged file's copy in the earlier result of the same COPY, hard-linked (reuse.h).
  bool link_earlier(const std::string& src, const std::string& dst, const struct stat& st) {
    if (!opts_.recorder) return false;
    const auto earlier = opts_.recorder->earlier(src, dst, st);
    if (!earlier) return false;
    if (::link(earlier->c_str(), dest(dst).c_str()) != 0) {
      common::throw_errno("link", earlier->string() + " -> /" + dst);
    }
    ++stats_.linked_files;
    return true;
  }

  // A regular file: data, then owner, xattrs, mode and times, all through the open
  // descriptors (no path walks through the overlay for each of them).
  void copy_file(const std::filesystem::path& from, const std::filesystem::path& to,
                 const std::string& dst, const struct stat& st) {
    common::UniqueFd in = common::open_file(from, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    common::UniqueFd out(
        ::open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!out) common::throw_errno("open", "/" + dst);
    stats_.bytes += static_cast<uint64_t>(st.st_size);
    copy_data(in.get(), out.get(), st, dst);
    expect_unchanged(in.get(), from, st);
    // Owner first: chown clears set-id bits, so the mode must come after it.
    const Owner owner = owner_of(st);
    if (::fchown(out.get(), owner.uid, owner.gid) != 0) {
      change_owner(to, owner.uid, owner.gid, "/" + dst);
    }
    copy_fd_xattrs(in.get(), out.get(), to);
    if (::fchmod(out.get(), mode_of(st)) != 0) common::throw_errno("chmod", "/" + dst);
    const struct timespec times[2] = {st.st_atim, st.st_mtim};
    if (::futimens(out.get(), times) != 0) common::throw_errno("utimensat", "/" + dst);
  }

  // A file rewritten while it was copied would put a mix of two versions in the layer, under a
  // cache key computed from neither: refuse it, naming the file.
  static void expect_unchanged(int fd, const std::filesystem::path& from, const struct stat& st) {
    struct stat now {};
    if (::fstat(fd, &now) != 0) common::throw_errno("fstat", from.string());
    if (now.st_size != st.st_size || now.st_mtim.tv_sec != st.st_mtim.tv_sec ||
        now.st_mtim.tv_nsec != st.st_mtim.tv_nsec || now.st_ctim.tv_sec != st.st_ctim.tv_sec ||
        now.st_ctim.tv_nsec != st.st_ctim.tv_nsec) {
      throw Error(ErrorKind::kIntegrity, "context file " + from.string() +
                                             " changed while it was being copied; build again "
                                             "once nothing writes to it");
    }
  }

  void copy_data(int in, int out, const struct stat& st, const std::string& dst) {
    if (try_reflink_) {
      if (::ioctl(out, FICLONE, in) == 0) {
        ++stats_.reflinked_files;
        return;
      }
      // Not a reflink filesystem (or not the same one): no later file of this COPY will be.
      if (errno == EXDEV || errno == EOPNOTSUPP || errno == EINVAL || errno == ENOTTY) {
        try_reflink_ = false;
      }
    }
    // copy_file_range works within one filesystem (not from ext4 into an overlay mount on
    // kernels since 5.19); sendfile copies between any two in the kernel; read/write is last.
    // What fails once is not tried again for the rest of the COPY: 5,000 files are 10,000
    // failing syscalls otherwise. Asking for one byte more than lstat saw ends a file that
    // did not grow in one call. A kernel copy may also stop short (0 or a part, e.g. while the
    // source's pages are being written); short of the size lstat saw, the rest goes through
    // read/write, and a copy that still ends short is the file changing, never a layer with a
    // cut file.
    off_t total = 0;
    bool kernel_copy = true;
    for (;;) {
      const size_t ask =
          static_cast<size_t>(std::clamp<off_t>(st.st_size + 1 - total, 1, off_t{1} << 30));
      ssize_t n = -1;
      const bool by_kernel = kernel_copy && (try_copy_range_ || try_sendfile_);
      if (by_kernel && try_copy_range_) {
        n = ::copy_file_range(in, nullptr, out, nullptr, ask, 0);
        if (n < 0 && unsupported(errno)) {
          try_copy_range_ = false;
          continue;
        }
      } else if (by_kernel) {
        n = ::sendfile(out, in, nullptr, ask);
        if (n < 0 && unsupported(errno)) {
          try_sendfile_ = false;
          continue;
        }
      } else {
        n = copy_chunk(in, out, dst);
      }
      if (n < 0) {
        if (errno == EINTR) continue;
        common::throw_errno("copy", "/" + dst);
      }
      total += n;
      if (total >= st.st_size && (n == 0 || (by_kernel && static_cast<size_t>(n) < ask))) break;
      if (n == 0 && !by_kernel) break;  // read/write saw the end before the size: it shrank
      if (n == 0) kernel_copy = false;  // the kernel stopped short: read/write the rest
    }
    if (total != st.st_size) {
      throw Error(ErrorKind::kIntegrity, "context file for /" + dst + " changed size while it " +
                                             "was being copied (" + std::to_string(total) +
                                             " bytes of " + std::to_string(st.st_size) +
                                             "); build again once nothing writes to it");
    }
  }

  // Errors that say a kernel copy call cannot do this pair of files, not that copying failed
  // (across filesystems on older kernels, /proc-like files).
  static bool unsupported(int err) {
    return err == EXDEV || err == EINVAL || err == ENOSYS || err == EOPNOTSUPP || err == EPERM;
  }

  ssize_t copy_chunk(int in, int out, const std::string& dst) {
    if (buffer_.empty()) buffer_.resize(common::kCopyBufferSize);
    const ssize_t n = ::read(in, buffer_.data(), buffer_.size());
    if (n < 0) common::throw_errno("read", "context file for /" + dst);
    for (ssize_t done = 0; done < n;) {
      const ssize_t w = ::write(out, buffer_.data() + done, static_cast<size_t>(n - done));
      if (w < 0) {
        if (errno == EINTR) continue;
        common::throw_errno("write", "/" + dst);
      }
      done += w;
    }
    return n;
  }

  void apply_metadata(const struct stat& st, const std::filesystem::path& from,
                      const std::string& dst) {
    const auto to = dest(dst);
    // Owner first: chown clears set-id bits, so the mode must come after it.
    change_owner(to, owner_of(st).uid, owner_of(st).gid, "/" + dst);
    copy_xattrs(from, to);
    if (!S_ISLNK(st.st_mode)) {
      if (::chmod(to.c_str(), mode_of(st)) != 0) common::throw_errno("chmod", "/" + dst);
    }
    set_times(st, dst);
  }

  // The owner and permission bits apply_metadata gives a copy of an entry with lstat `st`.
  Owner owner_of(const struct stat& st) const {
    return opts_.keep_owner ? Owner{st.st_uid, st.st_gid} : opts_.owner;
  }
  mode_t mode_of(const struct stat& st) const {
    return opts_.chmod ? opts_.chmod->apply(st.st_mode & 07777, S_ISDIR(st.st_mode))
                       : (st.st_mode & 07777);
  }

  void announce(const std::string& dst) {
    if (opts_.follower) opts_.follower->entry(dst);
  }

  // Tells the follower the state directory `dst` will end in, before its entries are copied:
  // that of apply_metadata (the source's owner, mode, times and xattrs), or for an existing top
  // its own with the source's times (copy_directory).
  void announce_directory(const std::string& src, const std::string& dst, const struct stat& st,
                          bool existing_top) {
    struct stat final_st = st;
    std::filesystem::path xattrs_of = ctx_->host_path(src);
    if (existing_top) {
      xattrs_of = dest(dst);
      if (::lstat(xattrs_of.c_str(), &final_st) != 0) common::throw_errno("lstat", "/" + dst);
      final_st.st_mtim = st.st_mtim;
    } else {
      final_st.st_mode = S_IFDIR | mode_of(st);
      final_st.st_uid = owner_of(st).uid;
      final_st.st_gid = owner_of(st).gid;
    }
    opts_.follower->dir(dst, final_st, xattrs_of);
  }

  void set_times(const struct stat& st, const std::string& dst) {
    const struct timespec times[2] = {st.st_atim, st.st_mtim};
    if (::utimensat(AT_FDCWD, dest(dst).c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) {
      common::throw_errno("utimensat", "/" + dst);
    }
  }

  // xattrs reach the layer in BuildKit too; like BuildKit, a filesystem that refuses one
  // (security.*, a tmpfs without user xattrs) is logged, not fatal.
  void copy_xattrs(const std::filesystem::path& from, const std::filesystem::path& to) {
    copy_xattrs_with(
        [&](char* list, size_t size) { return ::llistxattr(from.c_str(), list, size); },
        [&](const char* name, void* value, size_t size) {
          return ::lgetxattr(from.c_str(), name, value, size);
        },
        [&](const char* name, const void* value, size_t size) {
          return ::lsetxattr(to.c_str(), name, value, size, 0);
        },
        to);
  }

  // The same through open descriptors: a regular file is open anyway (copy_file).
  void copy_fd_xattrs(int from, int to, const std::filesystem::path& shown) {
    copy_xattrs_with([&](char* list, size_t size) { return ::flistxattr(from, list, size); },
                     [&](const char* name, void* value, size_t size) {
                       return ::fgetxattr(from, name, value, size);
                     },
                     [&](const char* name, const void* value, size_t size) {
                       return ::fsetxattr(to, name, value, size, 0);
                     },
                     shown);
  }

  template <typename List, typename Get, typename Set>
  static void copy_xattrs_with(List list, Get get, Set set, const std::filesystem::path& shown) {
    ssize_t size = list(nullptr, 0);
    if (size <= 0) return;
    std::string names(static_cast<size_t>(size), '\0');
    size = list(names.data(), names.size());
    if (size <= 0) return;
    names.resize(static_cast<size_t>(size));
    for (size_t i = 0; i < names.size(); i += std::char_traits<char>::length(&names[i]) + 1) {
      const char* name = &names[i];
      const ssize_t len = get(name, nullptr, 0);
      if (len < 0) continue;
      std::string value(static_cast<size_t>(len), '\0');
      const ssize_t got = get(name, value.data(), value.size());
      if (got < 0 || set(name, value.data(), static_cast<size_t>(got)) != 0) {
        common::log::debug("copy: xattr " + std::string(name) + " not copied to " + shown.string());
      }
    }
  }

  const std::filesystem::path& root_;
  const BuildContext* ctx_;
  const CopyOptions& opts_;
  CopyStats stats_;
  std::map<std::pair<dev_t, ino_t>, std::string> links_;
  std::vector<char> buffer_;
  bool try_reflink_ = true;
  bool try_copy_range_ = true;
  bool try_sendfile_ = true;
};

}  // namespace

CopyStats copy_into(const std::filesystem::path& dest_root, std::string_view dest,
                    const BuildContext& context, std::span<const CopySource> sources,
                    size_t source_count_as_written, const CopyOptions& options) {
  bool dest_is_dir = names_directory(dest);
  if (source_count_as_written > 1 && !dest_is_dir) {
    // BuildKit's dockerfile2llb message, word for word: users search for it.
    throw Error(ErrorKind::kDockerfile,
                "When using COPY with more than one source file, the destination must be a "
                "directory and end with a /");
  }
  if (sources.size() > 1) dest_is_dir = true;  // a wildcard matched several files
  RootPathOptions ropts;
  ropts.allow_missing = true;
  const auto dest_rel = resolve_in_root(dest_root, dest, ropts);
  if (!dest_rel) {
    throw Error(ErrorKind::kResource,
                "destination " + std::string(dest) + ": a parent is not a directory");
  }
  Copier copier(dest_root, context, options);
  struct stat st {};
  if (::lstat(copier.dest(*dest_rel).c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    dest_is_dir = true;
  }
  for (const CopySource& src : sources) {
    copier.read_from(src.view ? *src.view : context);
    try {
      if (src.is_dir) {
        copier.ensure_dirs(*dest_rel, true);
        copier.copy(src.rel, *dest_rel, true);
      } else {
        const std::string target = dest_is_dir ? join_rel(*dest_rel, src.name) : *dest_rel;
        copier.ensure_dirs(parent_of(target));
        copier.copy(src.rel, target, true);
      }
    } catch (Error& e) {
      e.add_context("copying \"" + src.as_written + "\" to " + std::string(dest));
      throw;
    }
  }
  return copier.stats();
}

}  // namespace mybuild::builder
