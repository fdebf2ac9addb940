// Carrying out common::Mount lists with mount(2): the snapshotters describe a filesystem as
// mounts (containerd's mount.Mount), and whoever needs the files (the builder before a RUN,
// the differ, tests) mounts them here, normally through MountGuard (mount_guard.h).
//
// Understood: type "bind" (options "bind"/"rbind", "ro"/"rw", flags), "overlay" (any option the
// kernel takes; flags split out), and any other filesystem by type. An overlay whose options do
// not fit in one page (mount(2)'s data limit, reached at about 100 layers with absolute paths)
// is mounted from a child process that first chdir()s to the layers' common directory and
// passes relative paths, as containerd does; the caller sees no difference.
#pragma once

#include <filesystem>
#include <span>

#include "common/mount.h"

namespace mybuild::snapshot {

// Mounts each entry at `target` / entry.target, in order. If one fails, those already mounted
// are unmounted before the error (kResource, naming the mount point) is thrown.
void mount_all(std::span<const common::Mount> mounts, const std::filesystem::path& target);

// Unmounts everything mounted at or below `dir`, deepest first. A busy mount is detached
// (MNT_DETACH) with a warning. Returns how many mounts went away; throws kResource only when
// a mount could neither be unmounted nor detached.
int unmount_tree(const std::filesystem::path& dir);

}  // namespace mybuild::snapshot
