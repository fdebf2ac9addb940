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
  bool match_tokens(std::u32string_view path) const;

  std::string text_;
  bool exception_;
  MatchType type_ = MatchType::kExact;
  std::vector<Token> tokens_;
  bool bad_range_ = false;
};

}  // namespace mybuild::parser
