// A .dockerignore as the builder uses it: built once from the patterns (see
// dockerignore_file.h for reading the file), then asked about every path of the build context.
//
//   auto m = DockerignoreMatcher::from_file(read_file(".dockerignore"));
//   m.excluded("docs/README.md");   // -> is it left out of the context?
//   m.can_skip_dir("node_modules"); // -> excluded, and no `!` pattern can bring back anything
//                                   //    inside it, so the walker need not descend
//
// Semantics of moby/patternmatcher MatchesOrParentMatches: patterns are evaluated in order;
// a path is excluded when the last pattern that matches it, or one of its parent directories,
// is not a `!` exception. Paths are slash-separated and relative to the context root. The
// matcher is immutable, so one instance may be shared by walker threads.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "parser/dockerignore_pattern.h"

namespace mybuild::parser {

class DockerignoreMatcher {
 public:
  // Throws common::Error(kDockerfile) for a malformed pattern (`!` alone, `[`, ...).
  explicit DockerignoreMatcher(const std::vector<std::string>& patterns);
  static DockerignoreMatcher from_file(std::string_view content);

  // Whether `path` is left out of the build context. The context root "." never is.
  // Throws common::Error(kDockerfile) when a pattern that must be evaluated cannot be matched
  // (a reversed range such as `[z-a]`), as patternmatcher does on every call.
  bool excluded(std::string_view path) const;

  // Whether the walker may skip directory `dir` and everything in it: it is excluded and no
  // exception pattern could re-include a path below it (BuildKit's walker makes the same
  // decision). False means: walk it and ask excluded() for each entry.
  bool can_skip_dir(std::string_view dir) const;

  bool has_exceptions() const { return has_exceptions_; }
  const std::vector<DockerignorePattern>& patterns() const { return patterns_; }

 private:
  std::vector<DockerignorePattern> patterns_;
  bool has_exceptions_ = false;
};

}  // namespace mybuild::parser
