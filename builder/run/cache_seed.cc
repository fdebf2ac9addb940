#include "builder/run/cache_seed.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "builder/context/path.h"
#include "builder/run/bind_source.h"
#include "builder/run/cache_instance.h"
#include "common/error.h"
#include "common/log.h"
#include "common/process_owner.h"
#include "common/temp_dir.h"

namespace mybuild::builder {

using common::Error;
using common::ErrorKind;

namespace {

// The copied top directory looks like the source's (copy_into makes it 0755 root:root), as
// BuildKit's mount of the source directory shows it. Best effort for the owner: rootless, the
// step sees its own ids anyway.
void copy_top_attributes(const struct stat& st, const std::filesystem::path& copied) {
  if (::chmod(copied.c_str(), st.st_mode & 07777) != 0) {
    common::throw_errno("chmod", copied.string());
  }
  if (::lchown(copied.c_str(), st.st_uid, st.st_gid) != 0) {
    common::log::debug("lchown " + copied.string() + ": " + std::strerror(errno));
  }
}

}  // namespace

std::string seeded_cache_id_hash(const std::string& id, const std::string& from_key,
                                 const std::string& source) {
  // '\n' cannot be part of a from_key (a digest or chain) nor matter in a cleaned path's
  // identity here, so the three parts cannot run into each other.
  return cache_mount_id_hash(id + "\n" + from_key + "\n/" + clean_in_root(source));
}

void seed_cache_dir(const BuildContext& tree, const std::string& source, const std::string& what,
                    const std::filesystem::path& dir, const std::filesystem::path& scratch_parent) {
  const std::string shown = source.empty() ? "/" : source;
  std::optional<std::string> rel = tree.resolve(source.empty() ? "." : source);
  if (!rel) {
    throw Error(ErrorKind::kNotFound, "cache mount source \"" + shown + "\": not found in " + what);
  }
  const std::filesystem::path host = tree.host_path(*rel);
  struct stat st {};
  if (::lstat(host.c_str(), &st) != 0) common::throw_errno("lstat", host.string());
  if (!S_ISDIR(st.st_mode)) {
    throw Error(ErrorKind::kDockerfile, "cache mount source \"" + shown + "\" in " + what +
                                            " is not a directory: a cache seed must be one");
  }
  std::filesystem::create_directories(scratch_parent);
  common::TempDir scratch(common::owned_prefix("mybuild-seed-"), scratch_parent);
  const std::filesystem::path copied = copy_visible(tree, *rel, scratch.path());
  if (!std::filesystem::exists(copied)) std::filesystem::create_directory(copied);
  copy_top_attributes(st, copied);
  // NOREPLACE: a plain rename would replace a cache another step made (and maybe emptied)
  // meanwhile; that one wins, its seed is as good as ours.
  if (::renameat2(AT_FDCWD, copied.c_str(), AT_FDCWD, dir.c_str(), RENAME_NOREPLACE) != 0) {
    if (errno == EEXIST) return;
    common::throw_errno("renameat2", copied.string() + " -> " + dir.string());
  }
}

}  // namespace mybuild::builder
