// The submodules of a fetched git checkout, as BuildKit checks them out by default (git
// submodule update --init --recursive): each is cloned by libgit2 into the parent's
// .git/modules and checked out at the commit the parent records.
#pragma once

#include <git2.h>

#include <functional>
#include <string>

#include "builder/context/git_source.h"
#include "common/cancel.h"

namespace mybuild::builder {

// The fetch options (callbacks, headers) for a submodule's resolved URL: credentials go only
// to the host they were given for.
using SubmoduleFetchOptions = std::function<git_fetch_options(const std::string& url)>;

// Updates every submodule of `repo` (a repository with a work tree), then theirs. Throws
// kNetwork naming the submodule and `src.text` when one cannot be fetched, kCancelled when
// `cancel` stops it.
void update_git_submodules(git_repository* repo, const GitSource& src,
                           const common::CancelToken& cancel,
                           const SubmoduleFetchOptions& fetch_options);

}  // namespace mybuild::builder
