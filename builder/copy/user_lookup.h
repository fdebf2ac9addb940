// Owners for `COPY --chown=`: "user", "user:group", "uid", "uid:gid" (and mixes), with names
// looked up in the *image's* /etc/passwd and /etc/group, never the host's.
//
// BuildKit's rules (solver/llbsolver/file readUser), matched here:
// - a user name takes its uid and primary gid from /etc/passwd;
// - a numeric user without a group gets gid = uid;
// - a group, when given, replaces the gid (a name through /etc/group).
// Where we differ on purpose: BuildKit maps a name it cannot find to 0 (root) without a word;
// we fail with kNotFound naming the name and the file, as the classic builder did ("no such
// user"). Silently giving files to root is the wrong default.
//
// The image's files are read through resolve_in_root, so a symlinked /etc/passwd in the
// image cannot make us read the host's.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace mybuild::builder {

struct Owner {
  uint32_t uid = 0;
  uint32_t gid = 0;
  friend bool operator==(const Owner&, const Owner&) = default;
};

// Resolves a --chown value against the image root filesystem `rootfs`. Throws
// Error(kDockerfile) for a malformed value, kNotFound for an unknown name.
Owner resolve_chown(std::string_view spec, const std::filesystem::path& rootfs);

// One passwd/group lookup: the (id, primary gid) of `name`, or nullopt. Exposed for the
// builder's USER handling.
struct PasswdEntry {
  uint32_t uid = 0;
  uint32_t gid = 0;
};
std::optional<PasswdEntry> lookup_user(const std::filesystem::path& rootfs, std::string_view name);
std::optional<uint32_t> lookup_group(const std::filesystem::path& rootfs, std::string_view name);

}  // namespace mybuild::builder
