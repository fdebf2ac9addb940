// RUN --mount=type=cache,target=/x,from=STAGE,source=/sub: a cache mount whose first content is
// /sub of that stage, image or named context, as BuildKit does it.
//
// BuildKit (dockerfile2llb dispatchRunMounts, solver/llbsolver/mounts): a cache mount's base is
// its from= state (scratch without one); the cache is a new writable ref made on top of that
// base, and source= selects the directory of it that is mounted at the target. The cache is
// keyed "id:<ref of the base>", so another from= content is another cache, and the id still
// defaults to the target. What mybuild matches:
//   - the step first sees the source directory's tree (content, modes, owners, symlinks as they
//     are); its writes persist in the cache for later steps and builds, never in the source;
//   - the directory is named by the id, what from= names now (a stage's chain, an image's
//     config digest, a named context's checksum: builder/run/step_run.cc) and the source path,
//     so a changed stage starts a new cache seeded from the new content;
//   - seeding happens once, when the instance directory is made; a cache its steps emptied
//     stays empty (BuildKit keeps the ref), and a private mount's extra instances are seeded too;
//   - a missing source is an error naming it (BuildKit: "\"/sub\" not found").
// Where mybuild differs, on purpose: a source= that climbs out with ".." is refused (BuildKit
// cleans it back to the root; builder/run/mounts.cc); source= must be a directory; mode=, uid=
// and gid= do not apply to a seeded cache (its top directory keeps the source's mode and owner,
// as BuildKit's mount of source= shows it); the id's plain cache is another directory, so
// --cache-to cache-mounts=ID and --cache-from restore deal with the unseeded cache only.
#pragma once

#include <filesystem>
#include <string>

#include "builder/context/root.h"

namespace mybuild::builder {

// The instance directory name of a seeded cache (cache_instance.h names a plain one): a hash
// of the id, what from= names now, and the source cleaned inside the root ("/sub/" == "sub").
std::string seeded_cache_id_hash(const std::string& id, const std::string& from_key,
                                 const std::string& source);

// Makes `dir`, which does not exist yet, a copy of `source` resolved inside `tree` (symlinks
// followed but clamped to the tree, builder/context/path.h). The copy is made in a scratch
// directory under `scratch_parent` (removed whatever happens) and renamed into place, so no
// step ever sees half a seed; when another step's seed got there first, its copy is kept.
// `what` names the tree in errors ("stage builder"). Throws Error(kNotFound) for a missing
// source, Error(kDockerfile) when it is not a directory, and errors naming call and path.
void seed_cache_dir(const BuildContext& tree, const std::string& source, const std::string& what,
                    const std::filesystem::path& dir, const std::filesystem::path& scratch_parent);

}  // namespace mybuild::builder
