// Rootless mybuild (what `buildah unshare` and rootless podman do): an unprivileged mybuild
// forks early, before any store work and before any thread exists; the child unshares a user
// and a mount namespace, the parent writes its id maps (0 -> the caller, 1.. -> the caller's
// /etc/subuid and /etc/subgid ranges, through newuidmap/newgidmap; sandbox/idmap.h), and the
// child carries on as uid 0 of that namespace, where the root code paths work: overlay mounts
// (Linux >= 5.11), chown to mapped ids, the sandbox's own namespaces. The parent only waits:
// it forwards SIGINT, SIGTERM, SIGHUP and SIGQUIT and exits with the child's status. The child
// dies with the parent (PR_SET_PDEATHSIG), so a kill -9 of the mybuild a user started leaves
// what any kill -9 leaves (cleaned at the next start).
//
// Without subordinate ids only the caller is mapped (to 0), with a warning that names the fix;
// files of other owners then stay root's (snapshot/extract.cc) and a RUN as another user fails.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "sandbox/idmap.h"

namespace mybuild::sandbox {

// Set (to "1") in the child once it is inside, so nothing tries to enter twice, and so code
// further down can tell a rootless run from a real root one.
inline constexpr const char* kRootlessEnv = "MYBUILD_ROOTLESS";

// Whether this process runs in a user namespace other than the initial one (its uid_map is not
// the identity of all 2^32-1 ids).
bool in_user_namespace();

// Whether the process is the inside of a rootless bootstrap (kRootlessEnv set, in a user
// namespace).
bool inside_rootless();

struct RootlessPlan {
  std::string user;  // the caller's login name
  std::vector<IdMapping> uids, gids;
  std::vector<std::string> warnings;  // what the caller should hear once (missing ranges, tool)
};

// Reads /etc/subuid and /etc/subgid for the calling user and checks that newuidmap/newgidmap
// exist. Never throws.
RootlessPlan plan_rootless(const std::string& subuid_file = "/etc/subuid",
                           const std::string& subgid_file = "/etc/subgid");

// Forks into the user namespace of `plan`. Returns nullopt in the child, which is then uid 0
// inside with kRootlessEnv set; returns the child's exit code in the parent (128 + signal when
// it was killed) once the child is gone. Throws Error(kSandbox) in the parent when the
// namespace cannot be made or mapped (the child is gone then too). Call it while the process
// has one thread: the parent blocks signals around the fork.
std::optional<int> enter_rootless(const RootlessPlan& plan);

}  // namespace mybuild::sandbox
