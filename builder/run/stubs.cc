#include "builder/run/stubs.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <set>

#include "builder/context/path.h"

namespace mybuild::builder {

namespace {

bool is_empty_dir(const std::filesystem::path& p) {
  DIR* d = ::opendir(p.c_str());
  if (d == nullptr) return false;
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

bool same_times(const struct stat& a, const struct stat& b) {
  return a.st_mtim.tv_sec == b.st_mtim.tv_sec && a.st_mtim.tv_nsec == b.st_mtim.tv_nsec;
}

}  // namespace

StubCleaner::StubCleaner(const std::filesystem::path& rootfs, const std::vector<std::string>& paths)
    : rootfs_(rootfs) {
  std::set<std::string> created, parents;
  for (const auto& p : paths) {
    std::string rel = clean_in_root(p);
    if (rel.empty()) continue;
    // Walk down: every missing component is a stub-to-be; the last existing one is its parent.
    std::string prefix, last_existing;
    size_t pos = 0;
    while (pos <= rel.size()) {
      size_t slash = rel.find('/', pos);
      prefix = rel.substr(0, slash);
      struct stat st {};
      if (::lstat((rootfs_ / prefix).c_str(), &st) != 0) {
        created.insert(prefix);
      } else if (!S_ISDIR(st.st_mode)) {
        break;  // a file or symlink on the way: the sandbox handles (or refuses) it
      } else {
        last_existing = prefix;
      }
      if (slash == std::string::npos) break;
      pos = slash + 1;
    }
    parents.insert(last_existing);
  }
  created_.assign(created.begin(), created.end());
  std::sort(created_.begin(), created_.end(),
            [](const std::string& a, const std::string& b) { return a.size() < b.size(); });
  for (const auto& p : parents) {
    struct stat st {};
    if (::lstat((rootfs_ / p).c_str(), &st) == 0) parents_.emplace_back(p, st);
  }
}

void StubCleaner::clean() {
  // Deepest first, so a stub directory is empty once its stub children are gone.
  for (auto it = created_.rbegin(); it != created_.rend(); ++it) {
    std::filesystem::path p = rootfs_ / *it;
    struct stat st {};
    if (::lstat(p.c_str(), &st) != 0) continue;
    if (S_ISDIR(st.st_mode) && is_empty_dir(p)) {
      ::rmdir(p.c_str());
    } else if (S_ISREG(st.st_mode) && st.st_size == 0) {
      ::unlink(p.c_str());
    }
  }
  for (const auto& [rel, st] : parents_) {
    struct timespec times[2] = {st.st_atim, st.st_mtim};
    ::utimensat(AT_FDCWD, (rootfs_ / rel).c_str(), times, AT_SYMLINK_NOFOLLOW);
  }
}

void StubCleaner::prune_upper(const std::filesystem::path& upper) const {
  std::vector<std::pair<std::string, struct stat>> dirs = parents_;
  std::sort(dirs.begin(), dirs.end(),
            [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
  for (const auto& [rel, before] : dirs) {
    if (rel.empty()) continue;  // the root itself is never a change
    // Each level up may now be an empty copy-up too.
    std::string cur = rel;
    while (!cur.empty()) {
      std::filesystem::path p = upper / cur;
      struct stat st {};
      if (::lstat(p.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || !is_empty_dir(p)) break;
      char buf[8];
      if (::lgetxattr(p.c_str(), "trusted.overlay.opaque", buf, sizeof buf) > 0) break;
      if (::lgetxattr(p.c_str(), "user.overlay.opaque", buf, sizeof buf) > 0) break;
      const struct stat* known = nullptr;
      for (const auto& [r, s] : parents_) {
        if (r == cur) known = &s;
      }
      if (known == nullptr || st.st_mode != known->st_mode || st.st_uid != known->st_uid ||
          st.st_gid != known->st_gid || !same_times(st, *known)) {
        break;
      }
      ::rmdir(p.c_str());
      auto slash = cur.rfind('/');
      cur = slash == std::string::npos ? "" : cur.substr(0, slash);
    }
  }
}

}  // namespace mybuild::builder
