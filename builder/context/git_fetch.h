// Fetching a git context (git_source.h) with libgit2 into the state root, as a plain tree:
//
//   <root>/git/commits/<commit>/   the checked-out tree of one commit with its submodules,
//                                  without .git; never changed once renamed into place, so
//                                  builds share it. <commit>-git keeps .git (keep-git-dir),
//                                  <commit>-nosubmodules leaves them out (?submodules=false)
//   <root>/tmp/mybuild-git-<owner>-XXXXXX/tree   the repository and its tree while fetching
//                                  (reclaimed if the process dies: builder/reclaim.h)
//
// A ref is resolved against the remote every time (a branch that moved is fetched again); a
// full commit id that is already there needs no network at all. libgit2 1.5 (Debian 12) cannot
// fetch shallow: only the one ref asked for is fetched (all branches and tags for a commit id,
// since servers need not serve a commit by id).
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "builder/context/git_http_auth.h"
#include "builder/context/git_source.h"
#include "common/cancel.h"

namespace mybuild::builder {

struct GitCheckout {
  std::filesystem::path tree;  // <root>/git/commits/<commit>
  std::filesystem::path root;  // the context root: tree/subdir
  std::string commit;          // full hex id
  bool fetched = false;        // false: the tree was already in the state root
};

// Throws kNotFound for an unknown ref or a missing subdir, kNetwork when the remote cannot be
// reached, kIntegrity when ?checksum= does not match; each message names `src.text`. `cancel`
// stops a fetch between packets (kCancelled); the half-fetched repository goes with its temp dir.
// `auth`: the header the build's secrets give (git_http_auth.h); a login from the docker config
// is looked up when the server asks. A refused or missing login is kAuth naming src.text.
// `ssh_default`: the build's `--ssh default` paths, the keys of ssh remotes (git_ssh_auth.h).
GitCheckout fetch_git_source(const GitSource& src, const std::filesystem::path& store_root,
                             const common::CancelToken& cancel, const GitHttpAuth& auth = {},
                             const std::vector<std::string>* ssh_default = nullptr);

// The same with what a build gives every git source: the secrets (GIT_AUTH_TOKEN[.host] and
// GIT_AUTH_HEADER[.host] for https) and the `--ssh` ids (as BuildKit, "default" for ssh).
GitCheckout fetch_git_source(const GitSource& src, const std::filesystem::path& store_root,
                             const common::CancelToken& cancel,
                             const std::map<std::string, std::string>& secrets,
                             const std::map<std::string, std::vector<std::string>>& ssh);

}  // namespace mybuild::builder
