// Helpers shared by the context/copy tests: small real file trees in a temp dir, and a
// .dockerignore stand-in (exact paths and directory prefixes, `!` re-includes) until the
// parser's matcher is wired in. Test-only; not part of mybuild_builder's interface.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "builder/context/filter.h"
#include "common/io.h"

namespace mybuild::builder::testing {

inline void write(const std::filesystem::path& p, std::string_view data, int mode = 0644) {
  std::filesystem::create_directories(p.parent_path());
  common::UniqueFd fd = common::open_file(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  common::FdWriter(fd.get()).write(data);
  ::fchmod(fd.get(), static_cast<mode_t>(mode));
}

// Sets a file's mtime and atime (seconds and nanoseconds since the epoch), not following a
// symlink; throws when the kernel refuses.
inline void set_mtime(const std::filesystem::path& p, int64_t sec, long nsec = 0) {
  struct timespec ts[2] = {{sec, nsec}, {sec, nsec}};
  if (::utimensat(AT_FDCWD, p.c_str(), ts, AT_SYMLINK_NOFOLLOW) != 0) {
    throw std::runtime_error("utimensat " + p.string());
  }
}

inline void symlink(const std::string& target, const std::filesystem::path& at) {
  std::filesystem::create_directories(at.parent_path());
  std::filesystem::create_symlink(target, at);
}

// Patterns are literal paths; a path is excluded when it or a parent is listed, unless it or a
// parent is listed after a '!'. Enough to exercise the seam, not Docker's pattern language.
class PrefixFilter final : public ContextFilter {
 public:
  explicit PrefixFilter(std::string_view text) {
    size_t i = 0;
    while (i < text.size()) {
      size_t j = text.find('\n', i);
      if (j == std::string_view::npos) j = text.size();
      std::string line(text.substr(i, j - i));
      i = j + 1;
      if (line.empty() || line[0] == '#') continue;
      if (line[0] == '!') {
        include_.push_back(line.substr(1));
      } else {
        exclude_.push_back(line);
      }
    }
  }
  bool excluded(std::string_view rel) const override {
    return under_any(rel, exclude_) && !under_any(rel, include_);
  }
  bool may_reinclude_under(std::string_view dir) const override {
    for (const auto& inc : include_) {
      if (inc.size() > dir.size() && inc.compare(0, dir.size(), dir) == 0 && inc[dir.size()] == '/')
        return true;
    }
    return false;
  }

 private:
  static bool under_any(std::string_view rel, const std::vector<std::string>& list) {
    for (const auto& p : list) {
      if (rel == p) return true;
      if (rel.size() > p.size() && rel.substr(0, p.size()) == p && rel[p.size()] == '/')
        return true;
    }
    return false;
  }
  std::vector<std::string> exclude_, include_;
};

inline ContextFilterFactory prefix_filter_factory() {
  return [](std::string_view text, std::string_view) -> std::unique_ptr<ContextFilter> {
    return std::make_unique<PrefixFilter>(text);
  };
}

}  // namespace mybuild::builder::testing
