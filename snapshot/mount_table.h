// Reading the kernel's mount table (/proc/self/mountinfo, proc(5)): what is mounted where, so
// that tests can prove nothing leaked and the snapshotters can find mounts a crashed process
// left under their root. Plain functions; nothing here changes the mount table.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace mybuild::snapshot {

// One line of mountinfo. Paths are unescaped (the kernel writes ' ' as \040, '\n' as \012).
struct MountEntry {
  int id = 0;
  int parent_id = 0;
  std::string root;           // the path inside the source filesystem that is mounted
  std::string mount_point;    // absolute, canonical, in this mount namespace
  std::string options;        // per-mount options ("rw,relatime")
  std::string fs_type;        // "overlay", "ext4", ...
  std::string source;         // "overlay", "/dev/vda", ...
  std::string super_options;  // per-superblock options ("lowerdir=...,upperdir=...")

  friend bool operator==(const MountEntry&, const MountEntry&) = default;
};

// Parses mountinfo text; a malformed line throws Error(kInternal) quoting it.
std::vector<MountEntry> parse_mountinfo(std::string_view text);
// The calling process's mount table, in the kernel's order (parents before children).
std::vector<MountEntry> read_mountinfo();
// The entries whose mount point is `dir` or lies below it, deepest (last mounted) first: the
// order in which they can be unmounted. `dir` is compared after weakly_canonical().
std::vector<MountEntry> mounts_under(const std::vector<MountEntry>& table,
                                     const std::filesystem::path& dir);

}  // namespace mybuild::snapshot
