#include "builder/context/path.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <deque>
#include <vector>

#include "common/error.h"

namespace mybuild::builder {
namespace {

using common::Error;
using common::ErrorKind;

// Linux's own limit on symlinks followed in one lookup is 40; BuildKit's checksum code allows
// 255. We take BuildKit's so that a context it accepts is accepted here.
constexpr int kMaxSymlinks = 255;

std::vector<std::string> split(std::string_view path) {
  std::vector<std::string> parts;
  size_t i = 0;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    if (j > i) parts.emplace_back(path.substr(i, j - i));
    i = j + 1;
  }
  return parts;
}

std::string join(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) {
    if (!out.empty()) out += '/';
    out += p;
  }
  return out;
}

}  // namespace

std::string clean_in_root(std::string_view path) {
  std::vector<std::string> out;
  for (auto& part : split(path)) {
    if (part == ".") continue;
    if (part == "..") {
      if (!out.empty()) out.pop_back();
      continue;
    }
    out.push_back(std::move(part));
  }
  return join(out);
}

std::string join_rel(std::string_view a, std::string_view b) {
  if (a.empty()) return std::string(b);
  if (b.empty()) return std::string(a);
  return std::string(a) + "/" + std::string(b);
}

std::optional<std::string> resolve_in_root(const std::filesystem::path& root, std::string_view path,
                                           const RootPathOptions& options) {
  std::deque<std::string> pending;
  for (auto& part : split(path)) pending.push_back(std::move(part));
  std::vector<std::string> done;  // the resolved prefix, always inside the root
  int links = 0;
  while (!pending.empty()) {
    std::string part = std::move(pending.front());
    pending.pop_front();
    if (part == ".") continue;
    if (part == "..") {
      if (!done.empty()) done.pop_back();
      continue;
    }
    done.push_back(std::move(part));
    const std::string rel = join(done);
    const std::filesystem::path host = root / rel;
    struct stat st {};
    if (::lstat(host.c_str(), &st) != 0) {
      if (errno == ENOENT && options.allow_missing) {
        std::string rest;
        bool dot_dot = false;
        for (const auto& p : pending) {
          rest = join_rel(rest, p);
          dot_dot = dot_dot || p == "..";
        }
        // "missing/../link/x" must still go through "link" as a symlink: clean, then resolve
        // again (the cleaned path has no "..", so this recurses once at most).
        if (dot_dot) return resolve_in_root(root, clean_in_root(join_rel(rel, rest)), options);
        return clean_in_root(join_rel(rel, rest));
      }
      if (errno == ENOENT || errno == ENOTDIR) return std::nullopt;
      common::throw_errno("lstat", host.string());
    }
    if (options.visible && !options.visible(rel, S_ISDIR(st.st_mode))) return std::nullopt;
    const bool last = pending.empty();
    if (S_ISLNK(st.st_mode) && (!last || options.follow_final)) {
      if (++links > kMaxSymlinks) {
        throw Error(ErrorKind::kNotFound,
                    "\"" + std::string(path) + "\": too many levels of symbolic links");
      }
      std::string target(static_cast<size_t>(st.st_size) + 1, '\0');
      ssize_t n = ::readlink(host.c_str(), target.data(), target.size());
      if (n < 0) common::throw_errno("readlink", host.string());
      target.resize(static_cast<size_t>(n));
      done.pop_back();
      // An absolute target restarts from the root, not from the host's "/".
      if (!target.empty() && target.front() == '/') done.clear();
      auto parts = split(target);
      pending.insert(pending.begin(), parts.begin(), parts.end());
      continue;
    }
    if (!last && !S_ISDIR(st.st_mode) && !S_ISLNK(st.st_mode)) return std::nullopt;
  }
  return join(done);
}

}  // namespace mybuild::builder
