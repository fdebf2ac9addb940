#include "builder/run/stubs.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <optional>
#include <set>
#include <string>

#include "builder/context/path.h"
#include "common/error.h"
#include "common/unique_fd.h"

namespace mybuild::builder {

namespace {

// Every host-side operation below works on a step's files, which the step controls: a directory
// it renamed away and replaced with a symlink to a host path must not lead us there
// (BuildKit's CVE-2024-23652 is this pattern). So nothing goes through a path string: each
// directory is opened beneath the root with no symlink followed (openat2 RESOLVE_BENEATH |
// RESOLVE_NO_SYMLINKS, or a component walk with O_NOFOLLOW where openat2 is missing), and the
// final name is acted on relative to it with AT_SYMLINK_NOFOLLOW / AT_REMOVEDIR.
common::UniqueFd open_dir_beneath(int root_fd, const std::string& rel) {
  if (rel.empty()) return common::UniqueFd(::fcntl(root_fd, F_DUPFD_CLOEXEC, 0));
  open_how how{};
  how.flags = O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV;
  long fd = ::syscall(SYS_openat2, root_fd, rel.c_str(), &how, sizeof how);
  if (fd >= 0 || (errno != ENOSYS && errno != EPERM)) {
    return common::UniqueFd(static_cast<int>(fd));  // -1: not there, or not a plain directory
  }
  common::UniqueFd dir(::fcntl(root_fd, F_DUPFD_CLOEXEC, 0));
  size_t pos = 0;
  while (dir && pos < rel.size()) {
    size_t slash = rel.find('/', pos);
    std::string name =
        rel.substr(pos, slash == std::string::npos ? std::string::npos : slash - pos);
    if (name == "..") return common::UniqueFd();
    dir = common::UniqueFd(
        ::openat(dir.get(), name.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    pos = slash == std::string::npos ? rel.size() : slash + 1;
  }
  return dir;
}

// Splits "a/b/c" into ("a/b", "c").
std::pair<std::string, std::string> split_parent(const std::string& rel) {
  size_t slash = rel.rfind('/');
  if (slash == std::string::npos) return {"", rel};
  return {rel.substr(0, slash), rel.substr(slash + 1)};
}

// lstat of `rel` beneath the root, through its parent directory; nullopt when absent or when
// a symlink stands on the way.
std::optional<struct stat> stat_beneath(int root_fd, const std::string& rel) {
  auto [parent, name] = split_parent(rel);
  common::UniqueFd dir = open_dir_beneath(root_fd, parent);
  struct stat st {};
  if (!dir || ::fstatat(dir.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    return std::nullopt;
  }
  return st;
}

bool is_empty_dir(int root_fd, const std::string& rel) {
  common::UniqueFd path = open_dir_beneath(root_fd, rel);
  if (!path) return false;
  // O_PATH descriptors cannot be read: reopen the same directory for reading.
  int fd = ::openat(path.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return false;
  DIR* d = ::fdopendir(fd);
  if (d == nullptr) {
    ::close(fd);
    return false;
  }
  bool empty = true;
  while (dirent* e = ::readdir(d)) {
    std::string_view n = e->d_name;
    if (n != "." && n != "..") {
      empty = false;
      break;
    }
  }
  ::closedir(d);
  return empty;
}

void remove_beneath(int root_fd, const std::string& rel, bool directory) {
  auto [parent, name] = split_parent(rel);
  common::UniqueFd dir = open_dir_beneath(root_fd, parent);
  if (dir) ::unlinkat(dir.get(), name.c_str(), directory ? AT_REMOVEDIR : 0);
}

bool same_times(const struct stat& a, const struct stat& b) {
  return a.st_mtim.tv_sec == b.st_mtim.tv_sec && a.st_mtim.tv_nsec == b.st_mtim.tv_nsec;
}

common::UniqueFd open_root(const std::filesystem::path& dir) {
  common::UniqueFd fd(::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!fd) common::throw_errno("open", dir.string());
  return fd;
}

// Walks down `rel`: every missing component is a stub-to-be; returns the last existing one.
std::string record_missing(int root_fd, const std::string& rel, std::set<std::string>& created) {
  std::string last_existing;
  size_t pos = 0;
  while (pos <= rel.size()) {
    size_t slash = rel.find('/', pos);
    std::string prefix = rel.substr(0, slash);
    std::optional<struct stat> st = stat_beneath(root_fd, prefix);
    if (!st) {
      created.insert(prefix);
    } else if (!S_ISDIR(st->st_mode)) {
      break;  // a file or symlink on the way: the sandbox handles (or refuses) it
    } else {
      last_existing = prefix;
    }
    if (slash == std::string::npos) break;
    pos = slash + 1;
  }
  return last_existing;
}

}  // namespace

StubCleaner::StubCleaner(const std::filesystem::path& rootfs, const std::vector<std::string>& paths)
    : rootfs_(rootfs) {
  common::UniqueFd root = open_root(rootfs_);
  std::set<std::string> created, parents;
  for (const auto& p : paths) {
    std::string rel = clean_in_root(p);
    if (rel.empty()) continue;
    parents.insert(record_missing(root.get(), rel, created));
  }
  created_.assign(created.begin(), created.end());
  std::sort(created_.begin(), created_.end(),
            [](const std::string& a, const std::string& b) { return a.size() < b.size(); });
  for (const auto& p : parents) {
    if (auto st = stat_beneath(root.get(), p)) parents_.emplace_back(p, *st);
  }
}

void StubCleaner::clean() {
  common::UniqueFd root = open_root(rootfs_);
  // Deepest first, so a stub directory is empty once its stub children are gone.
  for (auto it = created_.rbegin(); it != created_.rend(); ++it) {
    std::optional<struct stat> st = stat_beneath(root.get(), *it);
    if (!st) continue;
    if (S_ISDIR(st->st_mode) && is_empty_dir(root.get(), *it)) {
      remove_beneath(root.get(), *it, true);
    } else if (S_ISREG(st->st_mode) && st->st_size == 0) {
      remove_beneath(root.get(), *it, false);
    }
  }
  for (const auto& [rel, st] : parents_) {
    struct timespec times[2] = {st.st_atim, st.st_mtim};
    auto [parent, name] = split_parent(rel);
    common::UniqueFd dir = open_dir_beneath(root.get(), parent);
    if (!dir) continue;
    ::utimensat(dir.get(), name.empty() ? "." : name.c_str(), times, AT_SYMLINK_NOFOLLOW);
  }
}

bool StubCleaner::unchanged_copy_up(int upper_fd, const std::string& rel) const {
  std::optional<struct stat> st = stat_beneath(upper_fd, rel);
  if (!st || !S_ISDIR(st->st_mode) || !is_empty_dir(upper_fd, rel)) return false;
  common::UniqueFd dir = open_dir_beneath(upper_fd, rel);
  if (!dir) return false;
  // An opaque directory hides the lower one: removing it would bring the lower files back.
  std::string proc = "/proc/self/fd/" + std::to_string(dir.get());
  char buf[8];
  if (::getxattr(proc.c_str(), "trusted.overlay.opaque", buf, sizeof buf) > 0) return false;
  if (::getxattr(proc.c_str(), "user.overlay.opaque", buf, sizeof buf) > 0) return false;
  const struct stat* known = nullptr;
  for (const auto& [r, s] : parents_) {
    if (r == rel) known = &s;
  }
  return known != nullptr && st->st_mode == known->st_mode && st->st_uid == known->st_uid &&
         st->st_gid == known->st_gid && same_times(*st, *known);
}

void StubCleaner::prune_upper(const std::filesystem::path& upper) const {
  common::UniqueFd upper_fd = open_root(upper);
  std::vector<std::pair<std::string, struct stat>> dirs = parents_;
  std::sort(dirs.begin(), dirs.end(),
            [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
  for (const auto& [rel, before] : dirs) {
    // Each level up may now be an empty copy-up too; the root itself is never a change.
    for (std::string cur = rel; !cur.empty() && unchanged_copy_up(upper_fd.get(), cur);) {
      remove_beneath(upper_fd.get(), cur, true);
      cur = split_parent(cur).first;
    }
  }
}

}  // namespace mybuild::builder
