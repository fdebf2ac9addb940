// Directories only their owner may enter: mybuild's state root (as containerd keeps
// /var/lib/containerd 0700) and the directory of docker's config.json. Created with the mode
// in the mkdir(2) itself, so there is no moment at which another user could open them.
#pragma once

#include <filesystem>

namespace mybuild::common {

// Creates `dir` mode 0700 (its missing parents with the default mode); true when it was
// created, false when something is there already. Exactly 0700 whatever the umask: an umask
// that took the owner's own bits away is put right by fchmod, which only ever narrows from
// 0700's superset to 0700 (group and others never had a bit). Throws Error(kResource).
bool create_private_dir(const std::filesystem::path& dir);

// create_private_dir, and an existing `dir` with any group/other bit is tightened to its owner
// bits with a warning naming the old mode. A symlink at `dir` is followed (a root moved to a
// bigger disk); what it points to must be a directory. Throws Error(kResource).
void ensure_private_dir(const std::filesystem::path& dir);

}  // namespace mybuild::common
