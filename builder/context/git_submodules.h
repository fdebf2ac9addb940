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

// Whether a submodule may be fetched from `url` (resolved): only over the network (https, http,
// git, ssh, scp-like host:path). A repository's .gitmodules is as untrusted as its files, and a
// file:// or path URL would copy a repository of the build host into the image; git itself
// refuses the file transport for submodules (protocol.file.allow=user, CVE-2022-39253).
bool submodule_url_allowed(const std::string& url);

// Nesting deeper than this is refused: a submodule that includes its parent would recurse
// without end.
inline constexpr int kMaxSubmoduleDepth = 8;

// Updates every submodule of `repo` (a repository with a work tree), then theirs. Throws
// kNetwork naming the submodule and `src.text` when one cannot be fetched, kCancelled when
// `cancel` stops it, kIntegrity for a URL submodule_url_allowed refuses or nesting deeper than
// kMaxSubmoduleDepth.
void update_git_submodules(git_repository* repo, const GitSource& src,
                           const common::CancelToken& cancel,
                           const SubmoduleFetchOptions& fetch_options);

}  // namespace mybuild::builder
