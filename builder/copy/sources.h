// COPY/ADD source resolution against the build context: what each source as written in the
// Dockerfile names, after `..`/symlink clamping (builder/context/path.h), wildcards
// (builder/copy/wildcard.h) and .dockerignore (builder/context/filter.h).
//
// Errors match what BuildKit users see, so that searches for the message find answers:
// - a plain source that does not exist: kNotFound `"/missing.txt": not found`;
// - a wildcard that matches nothing: kNotFound `no source files were specified: "*.xyz" matched
//   no file in the build context` (BuildKit's file op says `*.xyz not found`; the classic
//   builder's "no source files were specified" is the phrase users know).
#pragma once

#include <span>
#include <string>
#include <vector>

#include "builder/context/root.h"

namespace mybuild::builder {

struct CopySource {
  std::string as_written;  // the source as written in the Dockerfile ("src/*.c")
  std::string rel;         // what it resolves to, relative to the context root ("" = the root)
  std::string name;        // the name it gets inside a directory destination: the last
                           // component as matched, before following a symlink (fsutil's
                           // filepath.Base(src))
  bool is_dir = false;     // after following symlinks
  // Read through this view of the context instead of the copy's context, when set: COPY
  // --exclude and --parents narrow what is below the source (builder/copy/filter.h). Not owned.
  const BuildContext* view = nullptr;
};

// Resolves every source in order; wildcard matches come in name order. The same path named
// twice is kept twice (BuildKit copies it twice; the second copy overwrites the first).
// With `allow_empty_wildcard` (BuildKit's dockerfile COPY/ADD), a wildcard that matches nothing
// contributes nothing instead of failing.
std::vector<CopySource> resolve_copy_sources(const BuildContext& context,
                                             std::span<const std::string> sources,
                                             bool allow_empty_wildcard = false);

}  // namespace mybuild::builder
