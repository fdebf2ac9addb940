// Where an export's bytes go. A file output is written under a temp name beside dest and
// renamed over it at the end, so a failed or interrupted export never leaves a half-written
// file where the user expects a result; directory outputs are assembled in a temp directory.
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>
#include <string>
#include <system_error>

#include "common/error.h"
#include "common/log.h"
#include "image/export_internal.h"

namespace mybuild::image::export_internal {

namespace fs = std::filesystem;
using common::Error;
using common::ErrorKind;

namespace {

std::string random_suffix() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char kChars[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string s;
  for (int i = 0; i < 10; ++i) s += kChars[rng() % (sizeof kChars - 1)];
  return s;
}

fs::path parent_of(const fs::path& p) {
  fs::path parent = p.parent_path();
  return parent.empty() ? fs::path(".") : parent;
}

void require_parent_dir(const std::string& dest) {
  fs::path parent = parent_of(fs::path(dest));
  std::error_code ec;
  if (!fs::is_directory(parent, ec)) {
    throw Error(ErrorKind::kNotFound,
                "cannot write dest=" + dest + ": directory " + parent.string() + " does not exist");
  }
}

void fsync_dir(const fs::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);  // best effort: the rename is what makes the result visible
  ::close(fd);
}

// The metadata a merged directory takes from the image's directory of the same name.
void copy_dir_metadata(const fs::path& from, const fs::path& to) {
  struct stat st {};
  if (::lstat(from.c_str(), &st) != 0) common::throw_errno("lstat", from.string());
  if (::geteuid() == 0 && ::lchown(to.c_str(), st.st_uid, st.st_gid) != 0) {
    common::throw_errno("lchown", to.string());
  }
  if (::chmod(to.c_str(), st.st_mode & 07777) != 0) common::throw_errno("chmod", to.string());
  timespec times[2] = {st.st_atim, st.st_mtim};
  if (::utimensat(AT_FDCWD, to.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) {
    common::throw_errno("utimensat", to.string());
  }
}

}  // namespace

fs::path temp_name_beside(const fs::path& path) {
  std::string name = ".";
  name += path.filename().string();
  name += ".mybuild-";
  name += random_suffix();
  return parent_of(path) / name;
}

void check_file_dest(const std::string& dest, std::string_view type) {
  if (dest == "-") {
    // buildx refuses too: a tar on a terminal is garbage on the screen.
    if (::isatty(STDOUT_FILENO)) {
      throw Error(ErrorKind::kUsage, "refusing to write the type=" + std::string(type) +
                                         " tar to a terminal: redirect stdout or give dest=FILE");
    }
    return;
  }
  std::error_code ec;
  if (fs::is_directory(dest, ec)) {
    throw Error(ErrorKind::kUsage, "dest=" + dest + " is a directory; type=" + std::string(type) +
                                       " writes a file (a tar)");
  }
  require_parent_dir(dest);
}

bool check_dir_dest(const std::string& dest, std::string_view type) {
  std::error_code ec;
  fs::file_status st = fs::symlink_status(dest, ec);
  if (fs::exists(st)) {
    if (fs::is_directory(fs::status(dest, ec))) return true;
    throw Error(ErrorKind::kUsage, "dest=" + dest + " exists and is not a directory; type=" +
                                       std::string(type) + " writes a directory");
  }
  require_parent_dir(dest);
  return false;
}

OutputFile::OutputFile(const std::string& dest) : dest_(dest), raw_(-1), buffered_(raw_) {
  if (dest == "-") {
    raw_ = common::FdWriter(STDOUT_FILENO);
    return;
  }
  struct stat st {};
  if (::stat(dest.c_str(), &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
    // A device or FIFO (dest=/dev/stdout, a named pipe): renaming over it would replace the
    // node itself, so write through it.
    fd_ = common::open_file(dest, O_WRONLY);
    raw_ = common::FdWriter(fd_.get());
    return;
  }
  // A symlink to a file: the file it names is replaced, the link stays.
  std::error_code ec;
  target_ = fs::is_symlink(dest, ec) ? fs::canonical(dest, ec) : fs::path(dest);
  if (ec || target_.empty()) target_ = dest;
  for (int attempt = 0; !fd_; ++attempt) {
    temp_ = temp_name_beside(target_);
    int fd = ::open(temp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0) {
      fd_.reset(fd);
    } else if (errno != EEXIST || attempt > 100) {
      int err = errno;
      temp_.clear();
      common::throw_errno("open", (parent_of(target_) / ".<temp>").string(), err);
    }
  }
  raw_ = common::FdWriter(fd_.get());
}

OutputFile::~OutputFile() {
  if (!temp_.empty() && ::unlink(temp_.c_str()) != 0 && errno != ENOENT) {
    common::log::warn("removing " + temp_.string() + ": " + std::strerror(errno));
  }
}

void OutputFile::commit() {
  buffered_.flush();
  if (temp_.empty()) return;
  if (::fsync(fd_.get()) != 0) common::throw_errno("fsync", temp_.string());
  fd_.reset();
  if (::rename(temp_.c_str(), target_.c_str()) != 0) {
    common::throw_errno("rename", temp_.string() + " -> " + target_.string());
  }
  temp_.clear();
  fsync_dir(parent_of(target_));
}

TempOutputDir::TempOutputDir(const fs::path& parent, const std::string& hint) {
  for (int attempt = 0;; ++attempt) {
    fs::path p = temp_name_beside(parent / hint);
    if (::mkdir(p.c_str(), 0700) == 0) {
      path_ = p;
      return;
    }
    if (errno != EEXIST || attempt > 100) common::throw_errno("mkdir", p.string());
  }
}

TempOutputDir::~TempOutputDir() {
  if (path_.empty()) return;
  std::error_code ec;
  fs::remove_all(path_, ec);
  if (ec) common::log::warn("removing " + path_.string() + ": " + ec.message());
}

void TempOutputDir::rename_to(const fs::path& dest) {
  // NOREPLACE: a directory that appeared at dest meanwhile is not silently replaced (rename(2)
  // would replace an empty one).
  if (::renameat2(AT_FDCWD, path_.c_str(), AT_FDCWD, dest.c_str(), RENAME_NOREPLACE) != 0) {
    common::throw_errno("rename", path_.string() + " -> " + dest.string());
  }
  path_.clear();
  fsync_dir(parent_of(dest));
}

void merge_into(const fs::path& from, const fs::path& into) {
  for (const auto& entry : fs::directory_iterator(from)) {
    fs::path src = entry.path();
    fs::path dst = into / src.filename();
    struct stat dst_st {};
    bool dst_exists = ::lstat(dst.c_str(), &dst_st) == 0;
    bool src_dir = fs::is_directory(entry.symlink_status());  // never a symlink's target
    if (dst_exists && S_ISDIR(dst_st.st_mode) && src_dir) {
      merge_into(src, dst);
      copy_dir_metadata(src, dst);
      continue;
    }
    // rename(2) replaces a file or symlink in place and follows neither; a directory on either
    // side must go first (rename cannot put a directory over a file or fill a non-empty one).
    if (dst_exists && (S_ISDIR(dst_st.st_mode) || src_dir)) fs::remove_all(dst);
    if (::rename(src.c_str(), dst.c_str()) != 0) {
      common::throw_errno("rename", src.string() + " -> " + dst.string());
    }
  }
}

void write_small_file(const fs::path& path, std::string_view data, mode_t mode) {
  fs::path temp = temp_name_beside(path);
  try {
    common::UniqueFd fd = common::open_file(temp, O_WRONLY | O_CREAT | O_EXCL, 0600);
    common::FdWriter(fd.get()).write(data);
    if (::fchmod(fd.get(), mode) != 0) common::throw_errno("chmod", temp.string());
    if (::fsync(fd.get()) != 0) common::throw_errno("fsync", temp.string());
    if (::rename(temp.c_str(), path.c_str()) != 0) {
      common::throw_errno("rename", temp.string() + " -> " + path.string());
    }
  } catch (...) {
    ::unlink(temp.c_str());
    throw;
  }
}

}  // namespace mybuild::image::export_internal
