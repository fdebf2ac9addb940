#include "common/private_dir.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <system_error>

#include "common/error.h"
#include "common/log.h"
#include "common/unique_fd.h"

namespace mybuild::common {
namespace {

constexpr mode_t kPrivate = 0700;

UniqueFd open_dir(const std::filesystem::path& dir, int extra_flags) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | extra_flags);
  if (fd < 0) throw_errno("open", dir.string());
  return UniqueFd(fd);
}

mode_t mode_of(int fd, const std::filesystem::path& dir) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw_errno("fstat", dir.string());
  return st.st_mode & 07777;
}

std::string octal(mode_t mode) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

}  // namespace

bool create_private_dir(const std::filesystem::path& dir) {
  if (dir.has_parent_path() && dir.parent_path() != dir) {
    std::error_code ec;
    std::filesystem::create_directories(dir.parent_path(), ec);
    if (ec) {
      throw Error(ErrorKind::kResource,
                  "mkdir(" + dir.parent_path().string() + "): " + ec.message());
    }
  }
  if (::mkdir(dir.c_str(), kPrivate) != 0) {
    if (errno == EEXIST) return false;
    throw_errno("mkdir", dir.string());
  }
  // O_NOFOLLOW: we made it a moment ago; if a symlink stands there now, someone swapped it.
  UniqueFd fd = open_dir(dir, O_NOFOLLOW);
  if (mode_of(fd.get(), dir) != kPrivate && ::fchmod(fd.get(), kPrivate) != 0) {
    throw_errno("fchmod", dir.string());
  }
  return true;
}

void ensure_private_dir(const std::filesystem::path& dir) {
  if (create_private_dir(dir)) return;
  UniqueFd fd = open_dir(dir, 0);
  const mode_t mode = mode_of(fd.get(), dir);
  if ((mode & 077) == 0) return;
  log::warn(dir.string() + " was mode " + octal(mode) +
            ", which lets other users read images and caches; tightening it to " +
            octal(mode & 07700));
  if (::fchmod(fd.get(), mode & 07700) != 0) throw_errno("fchmod", dir.string());
}

}  // namespace mybuild::common
