// Whole-tree file operations for the snapshotters: copying a snapshot (the native driver's
// prepare), deleting one, and measuring one. Every walk is fd-relative (openat with
// O_NOFOLLOW), so a symlink inside a snapshot -- whose content came from an untrusted layer --
// is copied or deleted as a link, never followed out of the tree.
#pragma once

#include <cstdint>
#include <filesystem>

namespace mybuild::snapshot {

// Copies the contents of directory `from` into the existing directory `to`, preserving file
// types (regular, directory, symlink, char/block device, FIFO, socket), modes (setuid too),
// owners, xattrs (security.capability and trusted.overlay.* included), hard links within the
// tree and nanosecond mtimes/atimes; `to` itself takes `from`'s metadata. Regular files are
// reflinked (FICLONE) when the filesystem can, else copied with copy_file_range.
// Throws kResource naming the path that failed.
void copy_tree(const std::filesystem::path& from, const std::filesystem::path& to);

// Deletes `dir` and everything in it without following symlinks or crossing into another
// filesystem: meeting a mount point throws (kResource) instead of deleting what is mounted
// there. A missing `dir` is not an error.
void remove_tree(const std::filesystem::path& dir);

struct TreeUsage {
  int64_t bytes = 0;   // allocated bytes (st_blocks * 512), each hard-linked inode once
  int64_t inodes = 0;  // distinct inodes, `dir` included
};
TreeUsage tree_usage(const std::filesystem::path& dir);

}  // namespace mybuild::snapshot
