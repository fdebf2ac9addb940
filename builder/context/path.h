// Path resolution inside a root directory, the way BuildKit resolves COPY sources (continuity's
// fs.RootPath): symlinks are followed, but every step is clamped to the root, so `../x`,
// `/../../etc/passwd` and a symlink to `/etc` all land *inside* the root instead of escaping it.
// A path that then does not exist is reported by the caller, naming the path as written.
//
// Thread-safety: free functions over the filesystem; safe to call concurrently.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace mybuild::builder {

// Lexically cleans a '/'-separated path relative to a root: drops "." and empty components,
// resolves ".." without ever climbing above the root, drops any leading "/". "" is the root.
// clean_in_root("/a/../../b/./c/") == "b/c".
std::string clean_in_root(std::string_view path);

// Joins two root-relative paths ("" is the root).
std::string join_rel(std::string_view a, std::string_view b);

struct RootPathOptions {
  // Follow a symlink in the last component too (COPY does for the source it names).
  bool follow_final = true;
  // Called for every existing path reached; returning false makes it (and all below it) absent,
  // which is how .dockerignore hides files.
  std::function<bool(std::string_view rel, bool is_dir)> visible;
  // When a component is missing, return the path anyway with the rest appended lexically
  // (continuity's RootPath; for destinations that are about to be created).
  bool allow_missing = false;
};

// Resolves `path` (absolute or relative, both taken from `root`) to a cleaned root-relative
// path, following symlinks within the root. Returns nullopt when a component does not exist
// (or is not visible, or a non-final component is not a directory). Throws Error(kNotFound)
// naming `path` after 255 symlinks (a loop), and kResource for other lstat/readlink failures.
std::optional<std::string> resolve_in_root(const std::filesystem::path& root, std::string_view path,
                                           const RootPathOptions& options = {});

}  // namespace mybuild::builder
