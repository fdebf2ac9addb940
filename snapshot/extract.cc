#include "snapshot/extract.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <exception>
#include <memory>
#include <unordered_set>
#include <vector>

#include "common/copy_buffer.h"
#include "common/error.h"
#include "common/io.h"
#include "common/log.h"
#include "common/read_ahead.h"
#include "snapshot/compression.h"
#include "snapshot/layer_writer.h"

namespace mybuild::snapshot {

using common::Error;
using common::ErrorKind;
using common::UniqueFd;

namespace {

// Root of a user namespace (a rootless mybuild, sandbox/rootless.h) may chown only to mapped ids
// and may not mknod devices or set trusted.* xattrs: it extracts like an unprivileged user.
bool in_user_namespace() {
  try {
    // The initial namespace maps all 2^32-1 ids from 0 to 0.
    return common::read_file("/proc/self/uid_map", 4096).find("4294967295") == std::string::npos;
  } catch (const Error&) {
    return false;
  }
}

std::string proc_path(int fd) { return "/proc/self/fd/" + std::to_string(fd); }

struct DirTime {
  std::vector<std::string> components;
  int64_t mtime;
};

class Extractor {
 public:
  Extractor(common::Reader& tar, const std::filesystem::path& root, const ApplyOptions& options,
            ExtractBudget& budget)
      : root_(root, options.resolver),
        options_(options),
        budget_(budget),
        tar_(tar),
        privileged_(::geteuid() == 0 && !in_user_namespace()) {
    a_ = archive_read_new();
    if (a_ == nullptr) throw Error(ErrorKind::kResource, "archive_read_new: out of memory");
    archive_read_support_format_tar(a_);
    if (archive_read_open(a_, this, nullptr, &Extractor::on_read, nullptr) != ARCHIVE_OK) {
      // The destructor does not run for a constructor that throws: free the archive here.
      try {
        fail_archive("opening layer");
      } catch (...) {
        archive_read_free(a_);
        throw;
      }
    }
  }
  ~Extractor() { archive_read_free(a_); }
  Extractor(const Extractor&) = delete;
  Extractor& operator=(const Extractor&) = delete;

  ApplyResult run() {
    ApplyResult result;
    for (;;) {
      archive_entry* e = nullptr;
      int r = archive_read_next_header(a_, &e);
      if (r == ARCHIVE_EOF) break;
      if (r < ARCHIVE_WARN) fail_archive("reading layer after entry \"" + current_ + "\"");
      current_ = archive_entry_pathname(e) ? archive_entry_pathname(e) : "";
      budget_.add_entry(current_);
      try {
        entry(e);
      } catch (Error& err) {
        err.add_context("layer entry \"" + current_ + "\"");
        throw;
      }
    }
    set_dir_times();
    warn_unmapped();
    result.entries = budget_.entries();
    result.bytes = budget_.total();
    return result;
  }

 private:
  static la_ssize_t on_read(archive*, void* self_ptr, const void** out) {
    auto* self = static_cast<Extractor*>(self_ptr);
    try {
      size_t n = self->tar_.read(self->in_buf_.span());
      *out = self->in_buf_.data();
      return static_cast<la_ssize_t>(n);
    } catch (...) {
      self->error_ = std::current_exception();
      return -1;
    }
  }

  [[noreturn]] void fail_archive(const std::string& what) {
    if (error_) std::rethrow_exception(error_);
    const char* msg = archive_error_string(a_);
    throw Error(ErrorKind::kIntegrity, what + ": " + (msg ? msg : "corrupt tar"));
  }

  [[noreturn]] void fail(const std::string& what) {
    throw Error(ErrorKind::kIntegrity, "layer entry \"" + current_ + "\": " + what);
  }

  int parent_fd(const std::vector<std::string>& parent) {
    std::string key;
    for (const auto& p : parent) key += p + '/';
    if (!cached_fd_ || cached_stale_ || key != cached_key_) {
      cached_fd_ = root_.open_dir(parent, true);
      cached_key_ = std::move(key);
      cached_stale_ = false;
    }
    return cached_fd_.get();
  }
  // Anything that removes or replaces a directory or symlink may change what a cached parent
  // path means; look it up again next time (the fd stays open: the caller may be using it).
  void invalidate_parent() { cached_stale_ = true; }

  void entry(archive_entry* e) {
    std::vector<std::string> parts;
    if (!split_entry_path(current_, parts)) fail("path contains \"..\"; refusing to unpack it");
    if (parts.empty()) return;  // "./": the root itself keeps its own metadata
    std::string base = parts.back();
    parts.pop_back();
    if (base.starts_with(kWhiteoutPrefix)) {
      whiteout(parts, base);
      return;
    }
    int dirfd = parent_fd(parts);
    std::string rel = current_rel(parts, base);
    created_.insert(rel);
    mode_t type = archive_entry_filetype(e);
    if (archive_entry_hardlink(e) != nullptr) {
      hardlink(dirfd, base, archive_entry_hardlink(e));
      return;
    }
    replace_existing(dirfd, base, type == AE_IFDIR);
    UniqueFd fd = create(e, dirfd, base, type);
    if (type == AE_IFLNK) {
      set_owner(dirfd, base, e);
      set_link_time(dirfd, base, archive_entry_mtime(e));
      return;
    }
    if (!fd) fd = reopen(dirfd, base);
    if (!fd) return;  // a device node we may not make
    set_owner_fd(fd.get(), e);
    // chmod through the descriptor's /proc link: the inode we made, even if renamed since.
    if (::chmod(proc_path(fd.get()).c_str(), archive_entry_perm(e)) != 0) {
      common::throw_errno("chmod", rel);
    }
    set_xattrs(fd.get(), e);  // after chown, which clears security.capability
    if (type == AE_IFDIR) {
      parts.push_back(base);
      dir_times_.push_back({std::move(parts), archive_entry_mtime(e)});
    } else {
      timespec ts[2] = {{archive_entry_mtime(e), 0}, {archive_entry_mtime(e), 0}};
      if (::utimensat(dirfd, base.c_str(), ts, AT_SYMLINK_NOFOLLOW) != 0) {
        common::throw_errno("utimensat", rel);
      }
    }
  }

  static std::string current_rel(const std::vector<std::string>& parent, const std::string& b) {
    std::string out;
    for (const auto& p : parent) out += p + '/';
    return out + b;
  }

  void replace_existing(int dirfd, const std::string& base, bool want_dir) {
    struct stat st {};
    if (::fstatat(dirfd, base.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return;
    if (want_dir && S_ISDIR(st.st_mode)) return;  // a directory entry updates metadata only
    if (S_ISDIR(st.st_mode) || S_ISLNK(st.st_mode)) invalidate_parent();
    remove_all_at(dirfd, base);
  }

  UniqueFd create(archive_entry* e, int dirfd, const std::string& base, mode_t type) {
    const char* name = base.c_str();
    switch (type) {
      case AE_IFREG:
        return write_file(e, dirfd, base);
      case AE_IFDIR:
        if (::mkdirat(dirfd, name, 0700) != 0 && errno != EEXIST) {
          common::throw_errno("mkdir", base);
        }
        return {};
      case AE_IFLNK: {
        const char* target = archive_entry_symlink(e);
        if (::symlinkat(target ? target : "", dirfd, name) != 0) {
          common::throw_errno("symlink", base);
        }
        return {};
      }
      case AE_IFCHR:
      case AE_IFBLK:
      case AE_IFIFO: {
        mode_t kind = type == AE_IFCHR ? S_IFCHR : type == AE_IFBLK ? S_IFBLK : S_IFIFO;
        dev_t dev = makedev(archive_entry_rdevmajor(e), archive_entry_rdevminor(e));
        if (::mknodat(dirfd, name, kind | 0600, kind == S_IFIFO ? 0 : dev) != 0) {
          if (errno == EPERM && !privileged_) {
            // As rootless podman does: a build rarely needs the image's own device nodes (the
            // sandbox gives every RUN a fresh /dev).
            common::log::warn("skipping device node \"" + current_ +
                              "\": mknod is not allowed (unprivileged or rootless)");
            return {};
          }
          common::throw_errno("mknod", base);
        }
        return {};
      }
      default:
        fail("unsupported entry type (socket or unknown)");
    }
  }

  UniqueFd write_file(archive_entry* e, int dirfd, const std::string& base) {
    budget_.check_file_size(current_, archive_entry_size(e));
    // O_EXCL|O_NOFOLLOW: whatever was at this name has just been removed; if something raced
    // in, fail rather than write through it.
    int fd =
        ::openat(dirfd, base.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) common::throw_errno("create", base);
    UniqueFd out(fd);
    common::FdWriter w(out.get());
    int64_t written = 0;
    for (;;) {
      la_ssize_t n = archive_read_data(a_, buf_.data(), buf_.size());
      if (n < 0) fail_archive("reading data of \"" + current_ + "\"");
      if (n == 0) break;
      written += n;
      budget_.add_bytes(current_, n, written);
      w.write({buf_.data(), static_cast<size_t>(n)});
    }
    return out;
  }

  // Opens what create() made, to set metadata through a descriptor that cannot be swapped.
  UniqueFd reopen(int dirfd, const std::string& base) {
    int fd = ::openat(dirfd, base.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT) return {};  // a skipped device node
      common::throw_errno("open", base);
    }
    return UniqueFd(fd);
  }

  void hardlink(int dirfd, const std::string& base, const char* target) {
    std::vector<std::string> parts;
    if (!split_entry_path(target, parts) || parts.empty()) {
      fail(std::string("hard link target \"") + target + "\" is outside the layer");
    }
    std::string rel;
    for (const auto& p : parts) rel += (rel.empty() ? "" : "/") + p;
    UniqueFd src(root_.open_at(rel, O_PATH));
    if (!src) fail(std::string("hard link target \"") + target + "\": " + std::strerror(errno));
    struct stat st {};
    if (::fstat(src.get(), &st) != 0) common::throw_errno("fstat", target);
    if (S_ISDIR(st.st_mode)) fail(std::string("hard link to directory \"") + target + "\"");
    // A link to the file already at this name (GNU tar writes one for a path it was given twice,
    // even as a link to itself) changes nothing; replacing the name first would drop the last
    // link of the very inode it should link to.
    struct stat here {};
    if (::fstatat(dirfd, base.c_str(), &here, AT_SYMLINK_NOFOLLOW) == 0 &&
        here.st_dev == st.st_dev && here.st_ino == st.st_ino) {
      return;
    }
    replace_existing(dirfd, base, false);
    // linkat through /proc follows the magic link to the very inode we resolved in the root.
    if (::linkat(AT_FDCWD, proc_path(src.get()).c_str(), dirfd, base.c_str(), AT_SYMLINK_FOLLOW) !=
        0) {
      common::throw_errno("link", base);
    }
  }

  void whiteout(const std::vector<std::string>& parent, const std::string& base) {
    int dirfd = parent_fd(parent);
    invalidate_parent();
    if (base == kOpaqueWhiteout) {
      opaque(dirfd, parent);
      return;
    }
    std::string name = base.substr(kWhiteoutPrefix.size());
    if (name.empty() || name == "." || name == ".." || name.starts_with(".wh.")) {
      return;  // aufs metadata (.wh..wh.plnk and the like) has no meaning here
    }
    remove_all_at(dirfd, name);
    if (options_.whiteouts == WhiteoutMode::kOverlay) {
      if (::mknodat(dirfd, name.c_str(), S_IFCHR | 0, makedev(0, 0)) != 0) {
        common::throw_errno("mknod whiteout", name);
      }
    }
  }

  void opaque(int dirfd, const std::vector<std::string>& parent) {
    if (options_.whiteouts == WhiteoutMode::kOverlay) {
      UniqueFd dir(::openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
      if (!dir) common::throw_errno("open", "opaque directory");
      // Root of a user namespace cannot set trusted.*; overlay there is mounted with userxattr
      // (snapshot/overlay_snapshotter.cc) and reads user.overlay.opaque instead.
      std::string xattr = options_.opaque_xattr;
      if (!privileged_ && ::geteuid() == 0 && xattr.starts_with("trusted.overlay.")) {
        xattr = "user." + xattr.substr(std::string_view("trusted.").size());
      }
      if (::fsetxattr(dir.get(), xattr.c_str(), "y", 1, 0) != 0) {
        common::throw_errno("setxattr " + xattr, "opaque directory");
      }
      return;
    }
    // Remove what earlier layers put here; keep what this layer already wrote.
    std::string prefix;
    for (const auto& p : parent) prefix += p + '/';
    UniqueFd dir(::openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dir) common::throw_errno("open", "opaque directory");
    for (const std::string& child : sorted_names(dir.get(), prefix)) {
      if (!created_.contains(prefix + child)) remove_all_at(dir.get(), child);
    }
  }

  void set_owner(int dirfd, const std::string& base, archive_entry* e) {
    if (::fchownat(dirfd, base.c_str(), static_cast<uid_t>(archive_entry_uid(e)),
                   static_cast<gid_t>(archive_entry_gid(e)), AT_SYMLINK_NOFOLLOW) != 0) {
      owner_failed(base, e);
    }
  }

  void set_owner_fd(int fd, archive_entry* e) {
    // fchownat(AT_EMPTY_PATH) works on the O_PATH descriptor without following anything.
    if (::fchownat(fd, "", static_cast<uid_t>(archive_entry_uid(e)),
                   static_cast<gid_t>(archive_entry_gid(e)), AT_EMPTY_PATH) != 0) {
      owner_failed(current_, e);
    }
  }

  void owner_failed(const std::string& what, archive_entry* e) {
    if (privileged_ && errno != EINVAL) common::throw_errno("chown", what);
    if (errno == EINVAL && ::geteuid() == 0) {
      // Root of a user namespace without that id mapped (rootless, no subuid range): the entry
      // stays root's. Said once per layer, with the first example and the fix.
      if (unmapped_++ == 0) {
        first_unmapped_ = "\"" + current_ + "\" (uid " + std::to_string(archive_entry_uid(e)) +
                          ", gid " + std::to_string(archive_entry_gid(e)) + ")";
      }
      return;
    }
    common::log::debug("not keeping the owner of \"" + current_ + "\": " + std::strerror(errno));
  }

  void warn_unmapped() {
    if (unmapped_ == 0) return;
    common::log::warn(std::to_string(unmapped_) +
                      " entries of a layer belong to ids not mapped in this user namespace, "
                      "first " +
                      first_unmapped_ +
                      "; they were kept as root. Give your user subordinate ids (usermod "
                      "--add-subuids 100000-165535 --add-subgids 100000-165535 <user>) and "
                      "remove the state root so layers are unpacked again");
  }

  void set_link_time(int dirfd, const std::string& base, int64_t mtime) {
    timespec ts[2] = {{mtime, 0}, {mtime, 0}};
    if (::utimensat(dirfd, base.c_str(), ts, AT_SYMLINK_NOFOLLOW) != 0) {
      common::throw_errno("utimensat", base);
    }
  }

  void set_xattrs(int fd, archive_entry* e) {
    if (archive_entry_xattr_reset(e) == 0) return;
    std::string path = proc_path(fd);
    const char* key = nullptr;
    const void* value = nullptr;
    size_t size = 0;
    while (archive_entry_xattr_next(e, &key, &value, &size) == ARCHIVE_OK) {
      std::string_view k = key;
      if (k.starts_with("trusted.overlay.") || k.starts_with("user.overlay.")) {
        common::log::warn("dropping overlay xattr " + std::string(k) + " of \"" + current_ +
                          "\" from an untrusted layer");
        continue;
      }
      if (::setxattr(path.c_str(), key, value, size, 0) != 0) {
        if (errno == ENOTSUP || (errno == EPERM && !privileged_)) {
          common::log::warn("cannot set xattr " + std::string(k) + " on \"" + current_ +
                            "\": " + std::strerror(errno));
          continue;
        }
        common::throw_errno("setxattr " + std::string(k), current_);
      }
    }
  }

  void set_dir_times() {
    // Children change a directory's mtime, so directories get theirs last, deepest first.
    for (auto it = dir_times_.rbegin(); it != dir_times_.rend(); ++it) {
      UniqueFd dir = root_.open_dir(it->components, false);
      timespec ts[2] = {{it->mtime, 0}, {it->mtime, 0}};
      if (::utimensat(AT_FDCWD, proc_path(dir.get()).c_str(), ts, 0) != 0) {
        common::throw_errno("utimensat", current_rel(it->components, ""));
      }
    }
  }

  RootDir root_;
  const ApplyOptions& options_;
  ExtractBudget& budget_;
  common::Reader& tar_;
  // Two buffers: libarchive keeps pointing into the input one between callbacks while
  // archive_read_data copies file content out into the other. One shared buffer corrupted
  // every file that spanned a read (found by a 2 MB busybox binary).
  common::CopyBuffer in_buf_{common::kDecodeBufferSize};
  common::CopyBuffer buf_{common::kDecodeBufferSize};
  bool privileged_;  // real root: every chown, mknod and xattr must work
  int unmapped_ = 0;
  std::string first_unmapped_;
  archive* a_ = nullptr;
  std::exception_ptr error_;
  std::string current_;
  std::unordered_set<std::string> created_;
  std::vector<DirTime> dir_times_;
  std::string cached_key_;
  UniqueFd cached_fd_;
  bool cached_stale_ = false;
};

// Counts the compressed bytes read and checks, on every uncompressed read, that the two have
// not drifted past the ratio limit: a bomb stops after a buffer, not after the disk is full.
class RatioCheck : public common::Reader {
 public:
  RatioCheck(common::Reader& compressed, ExtractBudget& budget)
      : compressed_(compressed), budget_(budget) {}
  void attach(common::Reader& plain) { plain_ = &plain; }
  size_t read(std::span<char> buf) override {
    size_t n = plain_->read(buf);
    uncompressed_ += n;
    budget_.check_ratio(counted_, uncompressed_);
    return n;
  }
  // The compressed side, counting.
  class Counter : public common::Reader {
   public:
    explicit Counter(RatioCheck& owner) : owner_(owner) {}
    size_t read(std::span<char> buf) override {
      size_t n = owner_.compressed_.read(buf);
      owner_.counted_ += n;
      return n;
    }

   private:
    RatioCheck& owner_;
  };

 private:
  common::Reader& compressed_;
  ExtractBudget& budget_;
  common::Reader* plain_ = nullptr;
  uint64_t counted_ = 0;
  uint64_t uncompressed_ = 0;
};

std::string layer_name(const ApplyOptions& options) {
  if (!options.layer.empty()) return options.layer;
  if (options.expected_diff_id) return "layer with diff_id " + options.expected_diff_id->str();
  return "layer";
}

}  // namespace

ApplyResult apply_layer(common::Reader& layer, const std::filesystem::path& root,
                        const ApplyOptions& options) {
  ExtractBudget budget(options.limits, layer_name(options));
  RatioCheck ratio(layer, budget);
  RatioCheck::Counter counted(ratio);
  auto plain = open_decompressed(counted);
  ratio.attach(*plain);
  // Hashes the uncompressed tar on its way into libarchive: the diff_id costs no second pass.
  common::DigestingReader hashed(ratio);
  ApplyResult result;
  {
    // Reading, decompressing and hashing run on a second core, ahead of the unpacking (mostly
    // file-system calls) on this one; a failure on either side ends both.
    common::ReadAhead ahead(hashed);
    try {
      Extractor x(ahead, root, options, budget);
      result = x.run();
    } catch (Error& e) {
      e.add_context("unpacking a layer onto " + root.string());
      throw;
    }
    // libarchive stops at the end-of-archive blocks; the diff_id covers every byte.
    common::CopyBuffer rest(common::kDecodeBufferSize);
    while (ahead.read(rest.span()) > 0) {
    }
    ahead.finish();  // the worker is done with `hashed`
  }
  result.diff_id = hashed.finish();
  if (options.expected_diff_id && *options.expected_diff_id != result.diff_id) {
    throw Error(ErrorKind::kIntegrity, "layer diff_id mismatch: expected " +
                                           options.expected_diff_id->str() + ", got " +
                                           result.diff_id.str());
  }
  return result;
}

}  // namespace mybuild::snapshot
