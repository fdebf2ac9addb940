#include "snapshot/layer_writer.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <vector>

#include "common/error.h"
#include "common/unique_fd.h"
#include "snapshot/read_drop_behind.h"

namespace mybuild::snapshot {

using common::Error;
using common::ErrorKind;
using common::UniqueFd;

namespace {

std::string proc_fd_path(int dirfd, const char* name) {
  // Walk-relative names: the *at calls without an xattr variant go through /proc/self/fd.
  return "/proc/self/fd/" + std::to_string(dirfd) + "/" + name;
}

bool is_overlay_xattr(std::string_view key) {
  return key.starts_with("trusted.overlay.") || key.starts_with("user.overlay.");
}

std::string read_link_at(int dirfd, const char* name, size_t size_hint) {
  std::string target(std::max<size_t>(size_hint, 64) + 1, '\0');
  for (;;) {
    ssize_t n = ::readlinkat(dirfd, name, target.data(), target.size());
    if (n < 0) common::throw_errno("readlink", name);
    if (static_cast<size_t>(n) < target.size()) {
      target.resize(static_cast<size_t>(n));
      return target;
    }
    target.resize(target.size() * 2);
  }
}

}  // namespace

std::vector<std::string> sorted_names(int dirfd, const std::string& what) {
  int fd = ::fcntl(dirfd, F_DUPFD_CLOEXEC, 0);  // close-on-exec: a RUN may start meanwhile
  if (fd < 0) common::throw_errno("fcntl(F_DUPFD_CLOEXEC)", what);
  DIR* dir = ::fdopendir(fd);
  if (dir == nullptr) {
    ::close(fd);
    common::throw_errno("fdopendir", what);
  }
  ::rewinddir(dir);
  std::vector<std::string> names;
  errno = 0;
  while (dirent* d = ::readdir(dir)) {
    std::string_view n = d->d_name;
    if (n != "." && n != "..") names.emplace_back(n);
  }
  int err = errno;
  ::closedir(dir);
  if (err != 0) common::throw_errno("readdir", what, err);
  std::sort(names.begin(), names.end());
  return names;
}

// The xattrs that go in the layer, read through `list` and `get` (by path, or by descriptor
// when the file is open anyway: no /proc/self/fd path walk then), sorted.
template <typename List, typename Get>
std::vector<std::pair<std::string, std::string>> read_xattrs(const char* name, List list, Get get) {
  std::vector<std::pair<std::string, std::string>> out;
  ssize_t len = list(nullptr, 0);
  if (len < 0) {
    if (errno == ENOTSUP || errno == ENODATA) return out;
    common::throw_errno("llistxattr", name);
  }
  if (len == 0) return out;
  std::string keys(static_cast<size_t>(len), '\0');
  len = list(keys.data(), keys.size());
  if (len < 0) common::throw_errno("llistxattr", name);
  keys.resize(static_cast<size_t>(len));
  for (size_t pos = 0; pos < keys.size();) {
    std::string key = keys.c_str() + pos;
    pos += key.size() + 1;
    if (key.empty() || is_overlay_xattr(key)) continue;
    ssize_t vlen = get(key.c_str(), nullptr, 0);
    if (vlen < 0) {
      if (errno == ENODATA) continue;  // removed meanwhile
      common::throw_errno("lgetxattr " + key, name);
    }
    std::string value(static_cast<size_t>(vlen), '\0');
    vlen = get(key.c_str(), value.data(), value.size());
    if (vlen < 0) common::throw_errno("lgetxattr " + key, name);
    value.resize(static_cast<size_t>(vlen));
    out.emplace_back(std::move(key), std::move(value));
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::pair<std::string, std::string>> layer_xattrs(int dirfd, const char* name) {
  std::string path = proc_fd_path(dirfd, name);
  return read_xattrs(
      name, [&](char* list, size_t size) { return ::llistxattr(path.c_str(), list, size); },
      [&](const char* key, void* value, size_t size) {
        return ::lgetxattr(path.c_str(), key, value, size);
      });
}

std::vector<std::pair<std::string, std::string>> fd_xattrs(int fd, const char* name) {
  return read_xattrs(
      name, [&](char* list, size_t size) { return ::flistxattr(fd, list, size); },
      [&](const char* key, void* value, size_t size) { return ::fgetxattr(fd, key, value, size); });
}

LayerWriter::LayerWriter(common::Writer& out, LayerOptions options)
    : options_(options),
      buffered_(out),
      blob_(buffered_),
      // An uncompressed blob is the tar itself: its digest is the diff_id, hashed once.
      compressor_(make_compressor(options.compression,
                                  options.compression == Compression::kNone
                                      ? static_cast<common::Writer&>(buffered_)
                                      : static_cast<common::Writer&>(blob_),
                                  options.level, options.threads)),
      tar_bytes_(*compressor_, !(options.sink_hashes && options.compression == Compression::kNone)),
      tar_(tar_bytes_) {}

LayerWriter::~LayerWriter() = default;

TarEntry LayerWriter::stat_entry(const std::string& path, const struct stat& st) const {
  TarEntry e;
  e.path = path;
  e.mode = st.st_mode & 07777;
  e.uid = st.st_uid;
  e.gid = st.st_gid;
  e.mtime = st.st_mtim.tv_sec;
  if (options_.source_date_epoch && e.mtime > *options_.source_date_epoch) {
    e.mtime = *options_.source_date_epoch;
  }
  return e;
}

void LayerWriter::add_dir(const std::string& path, const struct stat& st,
                          std::vector<std::pair<std::string, std::string>> xattrs) {
  TarEntry e = stat_entry(path, st);
  e.type = TarEntry::Type::kDir;
  e.xattrs = std::move(xattrs);
  tar_.add(e);
}

void LayerWriter::add(const std::string& path, int dirfd, const char* name, const struct stat& st) {
  TarEntry e = stat_entry(path, st);
  // A regular file's xattrs are read through its descriptor below, once it is open.
  if (!S_ISLNK(st.st_mode) && !S_ISREG(st.st_mode)) e.xattrs = layer_xattrs(dirfd, name);
  switch (st.st_mode & S_IFMT) {
    case S_IFDIR:
      e.type = TarEntry::Type::kDir;
      break;
    case S_IFLNK:
      e.type = TarEntry::Type::kSymlink;
      e.link = read_link_at(dirfd, name, static_cast<size_t>(st.st_size));
      break;
    case S_IFCHR:
    case S_IFBLK:
      e.type = S_ISCHR(st.st_mode) ? TarEntry::Type::kChar : TarEntry::Type::kBlock;
      e.dev_major = major(st.st_rdev);
      e.dev_minor = minor(st.st_rdev);
      break;
    case S_IFIFO:
      e.type = TarEntry::Type::kFifo;
      break;
    case S_IFREG:
      break;
    default:  // sockets have no tar form; Docker and BuildKit skip them too
      return;
  }
  if (S_ISREG(st.st_mode) && st.st_nlink > 1) {
    auto [it, first] = links_.try_emplace({st.st_dev, st.st_ino}, path);
    if (!first) {
      e.xattrs = layer_xattrs(dirfd, name);
      e.type = TarEntry::Type::kHardlink;
      e.link = it->second;
      tar_.add(e);
      return;
    }
  }
  if (!S_ISREG(st.st_mode)) {
    tar_.add(e);
    return;
  }
  int fd = ::openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOATIME);
  if (fd < 0 && errno == EPERM) fd = ::openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) common::throw_errno("open", path);
  // A big file's pages go once read and written back: the blob's land in them.
  ReadDropBehind content{UniqueFd(fd), static_cast<uint64_t>(st.st_size)};
  e.xattrs = fd_xattrs(fd, name);
  e.size = st.st_size;
  tar_.add_file(e, content);
}

TarEntry LayerWriter::marker_entry(std::string path) const {
  // Whiteout files carry no metadata that matters; fixed values keep digests stable.
  TarEntry e;
  e.path = std::move(path);
  e.mode = 0;
  e.mtime = 0;
  return e;
}

void LayerWriter::add_whiteout(const std::string& path) {
  size_t slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "" : path.substr(0, slash + 1);
  std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  tar_.add(marker_entry(dir + std::string(kWhiteoutPrefix) + base));
}

void LayerWriter::add_opaque(const std::string& dir_path) {
  std::string prefix = dir_path.empty() ? "" : dir_path + "/";
  tar_.add(marker_entry(prefix + std::string(kOpaqueWhiteout)));
}

Layer LayerWriter::finish() {
  tar_.finish();
  Layer layer;
  layer.uncompressed_size = static_cast<int64_t>(tar_bytes_.bytes());
  layer.diff_id = tar_bytes_.finish().value_or(common::Digest());
  compressor_->finish();
  buffered_.flush();
  layer.descriptor.media_type = std::string(layer_media_type(options_.compression));
  if (options_.compression == Compression::kNone) {
    layer.descriptor.size = layer.uncompressed_size;
    layer.descriptor.digest = layer.diff_id;
  } else {
    layer.descriptor.size = static_cast<int64_t>(blob_.bytes());
    layer.descriptor.digest = blob_.finish();
  }
  return layer;
}

namespace {

void walk_all(LayerWriter& w, int dirfd, const std::string& prefix) {
  for (const std::string& name : sorted_names(dirfd, prefix.empty() ? "." : prefix)) {
    std::string path = prefix.empty() ? name : prefix + "/" + name;
    struct stat st {};
    if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      common::throw_errno("lstat", path);
    }
    w.add(path, dirfd, name.c_str(), st);
    if (S_ISDIR(st.st_mode)) {
      int fd = ::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0) common::throw_errno("open", path);
      UniqueFd child(fd);
      walk_all(w, child.get(), path);
    }
  }
}

}  // namespace

Layer write_tree_layer(const std::filesystem::path& root, common::Writer& out,
                       const LayerOptions& options) {
  UniqueFd dir = common::open_file(root, O_RDONLY | O_DIRECTORY);
  LayerWriter w(out, options);
  try {
    walk_all(w, dir.get(), "");
  } catch (Error& e) {
    e.add_context("writing a layer from " + root.string());
    throw;
  }
  return w.finish();
}

}  // namespace mybuild::snapshot
