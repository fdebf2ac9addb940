// One .dockerignore pattern with moby/patternmatcher's semantics (the library BuildKit uses).
// patternmatcher turns a pattern into a Go regexp, with fast paths for plain patterns; this
// class keeps its classification (exact, `prefix/**`, `**suffix`, general) because the fast
// paths are observable (`**file` also matches `xfile`), and matches the general case with a
// small NFA instead of a regexp:
//   `*` any run without `/`, `?` one code point except `/`, `**` any number of directories,
//   `[...]`/`[^...]` classes with ranges and `\` escapes, `\x` a literal x, everything else
//   (including regexp metacharacters such as `.`, `(`, `$`) literal.
// The syntax is checked when the pattern is built, as Go's filepath.Match would (`[`, `[]a]`,
// `[a-b-c]`, a trailing `\` throw). A reversed range such as `[l-O]` passes that check but makes
// the regexp fail to compile, which patternmatcher reports on every match; so does matches().
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mybuild::parser {

class DockerignorePattern {
 public:
  // `pattern` is already cleaned and without its `!`. Throws common::Error(kDockerfile).
  DockerignorePattern(std::string pattern, bool exception);

  // Whether the pattern matches `path` itself (slash-separated, relative to the context).
  // Throws common::Error(kDockerfile) for a pattern with a reversed range.
  bool matches(std::string_view path) const;

  // Whether the pattern matches any of the prefixes path[0, n) for n in `lengths` (the
  // ancestors of a path). One pass over `path`, so checking every parent of a deep path stays
  // linear. A pattern with a reversed range matches nothing here (patternmatcher ignores errors
  // on parent directories).
  bool matches_any_prefix(std::string_view path, const std::vector<std::size_t>& lengths) const;

  // Whether some path strictly below directory `dir` could match (used to decide whether an
  // excluded directory must still be walked). Conservative: true when unsure.
  bool may_match_below(std::string_view dir) const;

  bool exception() const { return exception_; }
  const std::string& text() const { return text_; }

  struct Range {
    char32_t lo, hi;
  };
  struct Token {
    enum Kind { kLiteral, kAnyOne, kStar, kAnyDirs, kRestOfPath, kClass } kind;
    char32_t rune = 0;          // kLiteral
    bool negated = false;       // kClass
    std::vector<Range> ranges;  // kClass
  };

 private:
  enum class MatchType { kExact, kPrefix, kSuffix, kGeneral };

  void compile();
  // The NFA run over `path`; element q says whether the tokens match path[0, q) (in runes).
  std::vector<char> run_tokens(std::u32string_view path) const;

  std::string text_;
  bool exception_;
  MatchType type_ = MatchType::kExact;
  std::vector<Token> tokens_;
  bool bad_range_ = false;
};

}  // namespace mybuild::parser
