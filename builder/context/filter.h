// The .dockerignore seam of the build context: which context paths a build may see.
//
// BuildKit never sends excluded files to the builder, so for mybuild an excluded path simply
// does not exist: COPY cannot name it, a wildcard does not match it, a symlink leading to it is
// dangling, and checksums do not read it. The pattern language itself (Docker's `**`, `!`
// exceptions, leading `/`) is the parser's job (parser/dockerignore.h); the builder only asks
// these two questions, so the matcher can be swapped without touching path resolution.
//
// Paths are relative to the context root, '/'-separated, cleaned, without a leading "/" or
// "./" ("src/main.c"; never "" -- the root itself is always visible). Implementations must be
// safe to call from several threads at once (they are read-only after construction).
#pragma once

#include <functional>
#include <memory>
#include <string_view>

namespace mybuild::builder {

class ContextFilter {
 public:
  virtual ~ContextFilter() = default;
  // The final verdict for `rel` under Docker's rules (a later `!` pattern may re-include it).
  virtual bool excluded(std::string_view rel) const = 0;
  // For an excluded directory: whether some path below it may still be re-included by a `!`
  // pattern, so a walk must descend into it instead of pruning it.
  virtual bool may_reinclude_under(std::string_view dir) const = 0;
};

// Excludes nothing: a context without .dockerignore.
class IncludeAllFilter final : public ContextFilter {
 public:
  bool excluded(std::string_view) const override { return false; }
  bool may_reinclude_under(std::string_view) const override { return false; }
};

// Builds a filter from the text of a .dockerignore file. The default (until the builder wires
// in parser/dockerignore.h) is supplied by the caller; `source` names the file for errors.
using ContextFilterFactory = std::function<std::unique_ptr<ContextFilter>(
    std::string_view dockerignore_text, std::string_view source)>;

}  // namespace mybuild::builder
