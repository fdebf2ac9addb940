// What one COPY/ADD source reads below itself: `--exclude` patterns and the include pattern of
// `--parents`, on top of the context's .dockerignore. Each source gets a BuildContext view
// (BuildContext::view) in which the filtered paths do not exist, so the copy (builder/copy/into.h)
// and the cache-key checksum (file_checksum.h) walk the same narrowed tree and never read an
// excluded file.
//
// Semantics (BuildKit's file op through fsutil copy, which is the reference):
// - patterns have the .dockerignore language (moby/patternmatcher: `*`, `**`, `!` exceptions;
//   a path is matched when it or one of its parents matches) and are matched against the path
//   relative to each source as resolved (after wildcards and symlinks);
// - the source itself is never filtered, only what lies below it: `COPY --exclude=*.txt *.txt
//   /d/` still copies every top-level .txt file that the wildcard matched. (The Dockerfile
//   reference's `COPY --exclude=*.txt hom* /mydir/` example suggests otherwise; BuildKit's
//   fsutil only tests paths below a source, and its own integration test relies on that.)
// - `--parents`: a source `pivot/./pattern` (or `pattern`, pivoting at the context root) copies
//   the pivot directory's entries that `pattern` matches, with the directories between the pivot
//   and each match, so `COPY --parents ./x/./y/f /d/` gives /d/y/f. Directories that hold no
//   match are not created (fsutil creates parents only when something below is copied).
//
// Thread-safety: views are read-only after construction, like BuildContext.
#pragma once

#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "builder/context/root.h"
#include "builder/copy/sources.h"
#include "parser/dockerignore_matcher.h"

namespace mybuild::builder {

// The include side of --parents for one pivot directory: which paths (relative to the pivot)
// are copied, found by one walk of the pivot.
struct ParentsInclude {
  std::shared_ptr<const parser::DockerignoreMatcher> pattern;
  std::set<std::string> ancestors;  // directories that hold a match (kept, not copied whole)
  size_t matches = 0;               // paths the pattern matched directly
  bool keeps(std::string_view rel) const;
};

// A `pivot/./pattern` source split as BuildKit's dockerfile2llb does: the pivot ("" when the
// source has no `/./`: the context root) and the pattern, cleaned and relative ("" = all).
struct ParentsSource {
  std::string pivot;
  std::string pattern;
};
ParentsSource split_parents_source(std::string_view source);

// Walks directory `pivot_rel` of `context` (already narrowed by --exclude, if any) and collects
// what `pattern` matches. An empty pattern matches everything below the pivot.
ParentsInclude find_parents_matches(const BuildContext& context, const std::string& pivot_rel,
                                    const std::string& pattern);

// A view of `base` in which, below `source_rel`, the paths `excludes` matches (when given) and
// the paths `include` does not keep (when given) do not exist. `base` must outlive the view.
BuildContext narrowed_view(const BuildContext& base, const std::string& source_rel,
                           std::shared_ptr<const parser::DockerignoreMatcher> excludes,
                           std::shared_ptr<const ParentsInclude> include);

// The sources of one COPY/ADD after --parents and --exclude, each directory source reading
// through its own view. Wildcards matching nothing copy nothing (BuildKit AllowEmptyWildcard);
// a --parents source without wildcards that matches nothing is Error(kNotFound), as BuildKit's
// RequiredPaths makes it. Malformed patterns are Error(kDockerfile).
struct NarrowedSources {
  std::vector<CopySource> sources;
  std::vector<std::unique_ptr<BuildContext>> views;  // what sources[i].view points into
};
NarrowedSources narrow_sources(const BuildContext& context, std::span<const std::string> written,
                               const std::vector<std::string>& excludes, bool parents);

}  // namespace mybuild::builder
