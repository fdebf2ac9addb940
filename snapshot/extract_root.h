// RootDir: path resolution confined to one directory, for unpacking untrusted layers.
//
// Every lookup starts at the root and resolves with openat2(RESOLVE_IN_ROOT): "..", absolute
// symlinks and symlink chains are all resolved as if the root were "/", so nothing outside it
// can be reached, whatever the tar put there before (a symlink to /etc, a hard link, a symlink
// later replaced by a directory). Where openat2 is missing (ENOSYS, kernels < 5.6) a component
// walk with O_NOFOLLOW is used instead, which refuses to pass through any symlink in a parent
// path: stricter, never looser.
//
// Callers then act on the final component with *at calls relative to the returned directory
// fd and never follow it (O_NOFOLLOW, AT_SYMLINK_NOFOLLOW).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "common/unique_fd.h"

namespace mybuild::snapshot {

class RootDir {
 public:
  enum class Resolver { kAuto, kComponentWalk };
  explicit RootDir(const std::filesystem::path& root, Resolver resolver = Resolver::kAuto);

  int fd() const { return root_.get(); }
  bool uses_openat2() const { return openat2_; }

  // Opens the directory at `rel` ("" = the root), an O_PATH fd. With `create`, missing
  // components are made (mode 0755), as tar entries may come without their parents. Throws
  // kResource, or kIntegrity when a component is not a directory.
  common::UniqueFd open_dir(const std::vector<std::string>& components, bool create) const;
  // Opens `rel` itself (final symlink not followed) with `flags`; -1 with errno on failure.
  int open_at(const std::string& rel, int flags) const;

 private:
  int lookup(int dirfd, const std::string& rel, int flags) const;

  common::UniqueFd root_;
  bool openat2_ = true;
};

// Removes `name` in `dirfd` and, for a directory, everything below it, never following a
// symlink. A missing entry is fine.
void remove_all_at(int dirfd, const std::string& name);

// Splits an entry name into clean components: leading "/" and "." components dropped, "//"
// collapsed. Returns false when a ".." component remains (the entry would climb out).
bool split_entry_path(std::string_view path, std::vector<std::string>& out);

}  // namespace mybuild::snapshot
