// A RUN that fails on a full disk often says so only in its own words ("I/O error" from
// busybox head, a truncated archive from tar). When the state root's file system has no room
// left after a failed step, the build error says so and names it, so the cause is not guessed.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace mybuild::builder {

// Below this many free bytes a file system counts as full (a few blocks of slack: the step
// stopped at ENOSPC, and whatever freed a little since is not room to build in).
inline constexpr uint64_t kFullDiskSlack = 1 << 20;

// The note for a file system with `free_bytes` left, or nullopt when that is room enough.
std::optional<std::string> full_disk_note(const std::filesystem::path& root, uint64_t free_bytes);

// statvfs(root) for the bytes this process may still write (root: the reserved blocks too);
// nullopt when statvfs fails (the note is a hint, never a second error).
std::optional<uint64_t> free_bytes(const std::filesystem::path& root);

}  // namespace mybuild::builder
