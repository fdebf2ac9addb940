#include "parser/dockerignore_pattern.h"

#include <algorithm>

#include "common/error.h"
#include "parser/word_utf8.h"

namespace mybuild::parser {

namespace {

using common::Error;
using common::ErrorKind;
using Token = DockerignorePattern::Token;

Token make_token(Token::Kind kind, char32_t rune = 0) {
  Token t;
  t.kind = kind;
  t.rune = rune;
  return t;
}

[[noreturn]] void bad_pattern(std::string_view pattern, std::string_view why) {
  throw Error(ErrorKind::kDockerfile, "syntax error in .dockerignore pattern \"" +
                                          std::string(pattern) + "\": " + std::string(why));
}

// Go filepath.Match's getEsc: one class member, `\` escaping the next character.
char32_t class_char(std::u32string_view& rest, std::string_view pattern) {
  if (rest.empty() || rest[0] == U'-' || rest[0] == U']')
    bad_pattern(pattern, "bad character class");
  if (rest[0] == U'\\') {
    rest.remove_prefix(1);
    if (rest.empty()) bad_pattern(pattern, "bad character class");
  }
  const char32_t r = rest[0];
  rest.remove_prefix(1);
  // Go: an invalid UTF-8 byte inside a class, or a class that ends the pattern, is an error.
  if (r == kReplacementChar || rest.empty()) bad_pattern(pattern, "bad character class");
  return r;
}

// Parses `[...]` (rest starts after `[`) with filepath.Match's rules; consumes the `]`.
Token parse_class(std::u32string_view& rest, std::string_view pattern, bool& bad_range) {
  Token t = make_token(Token::kClass);
  if (!rest.empty() && rest[0] == U'^') {
    t.negated = true;
    rest.remove_prefix(1);
  }
  for (;;) {
    if (!rest.empty() && rest[0] == U']' && !t.ranges.empty()) {
      rest.remove_prefix(1);
      return t;
    }
    const char32_t lo = class_char(rest, pattern);
    char32_t hi = lo;
    if (rest[0] == U'-') {
      rest.remove_prefix(1);
      hi = class_char(rest, pattern);
    }
    // Go's regexp refuses a reversed range when the pattern is first used.
    if (lo > hi) bad_range = true;
    t.ranges.push_back({lo, hi});
  }
}

bool class_matches(const Token& t, char32_t r) {
  const bool in = std::any_of(t.ranges.begin(), t.ranges.end(),
                              [r](const auto& range) { return range.lo <= r && r <= range.hi; });
  return in != t.negated;
}

bool token_matches(const Token& t, char32_t r) {
  switch (t.kind) {
    case Token::kLiteral:
      return r == t.rune;
    case Token::kAnyOne:
      return r != U'/';
    case Token::kClass:
      return class_matches(t, r);
    default:
      return false;
  }
}

std::vector<std::string_view> split_slash(std::string_view s) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == '/') {
      parts.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  return parts;
}

}  // namespace

DockerignorePattern::DockerignorePattern(std::string pattern, bool exception)
    : text_(std::move(pattern)), exception_(exception) {
  compile();
}

// patternmatcher Pattern.compile, token by token (its regexp pieces in the comments).
void DockerignorePattern::compile() {
  const std::u32string runes = decode_utf8(text_);
  std::u32string_view rest = runes;
  type_ = MatchType::kExact;
  for (int i = 0; !rest.empty(); ++i) {
    const char32_t ch = rest[0];
    rest.remove_prefix(1);
    if (ch == U'*' && !rest.empty() && rest[0] == U'*') {
      rest.remove_prefix(1);
      if (!rest.empty() && rest[0] == U'/') rest.remove_prefix(1);  // `**/` is `**`
      if (rest.empty()) {
        // `**` at the end matches everything below, as in .gitignore.
        if (type_ == MatchType::kExact) {
          type_ = MatchType::kPrefix;
        } else {
          tokens_.push_back(make_token(Token::kRestOfPath));  // .*
          type_ = MatchType::kGeneral;
        }
      } else {
        tokens_.push_back(make_token(Token::kAnyDirs));  // (.*/)?
        type_ = MatchType::kGeneral;
      }
      if (i == 0) type_ = MatchType::kSuffix;
    } else if (ch == U'*') {
      tokens_.push_back(make_token(Token::kStar));  // [^/]*
      type_ = MatchType::kGeneral;
    } else if (ch == U'?') {
      tokens_.push_back(make_token(Token::kAnyOne));  // [^/]
      type_ = MatchType::kGeneral;
    } else if (ch == U'\\') {
      if (rest.empty()) bad_pattern(text_, "trailing backslash");
      tokens_.push_back(make_token(Token::kLiteral, rest[0]));
      rest.remove_prefix(1);
      type_ = MatchType::kGeneral;
    } else if (ch == U'[') {
      tokens_.push_back(parse_class(rest, text_, bad_range_));
      type_ = MatchType::kGeneral;
    } else {
      // A `]` outside a class is literal, but patternmatcher still takes the regexp path.
      if (ch == U']') type_ = MatchType::kGeneral;
      tokens_.push_back(make_token(Token::kLiteral, ch));
    }
  }
}

bool DockerignorePattern::matches(std::string_view path) const {
  if (bad_range_) bad_pattern(text_, "invalid character class range");
  switch (type_) {
    case MatchType::kExact:
      return path == text_;
    case MatchType::kPrefix:
      return path.starts_with(std::string_view(text_).substr(0, text_.size() - 2));
    case MatchType::kSuffix: {
      // patternmatcher compares the raw text after `**`; `**/foo` also matches `foo`.
      const std::string_view suffix = std::string_view(text_).substr(2);
      return path.ends_with(suffix) ||
             (!suffix.empty() && suffix[0] == '/' && path == suffix.substr(1));
    }
    case MatchType::kGeneral: {
      const std::u32string runes = decode_utf8(path);
      return run_tokens(runes)[runes.size()] != 0;
    }
  }
  return false;
}

// A set-of-positions NFA over the tokens: linear in tokens x path, no backtracking, no
// recursion, whatever the input. `.` in the regexp does not match a newline; classes and
// `[^/]` do, as in Go.
std::vector<char> DockerignorePattern::run_tokens(std::u32string_view path) const {
  const std::size_t n = path.size();
  std::vector<char> current(n + 1, 0), next(n + 1, 0);
  current[0] = 1;
  for (const Token& t : tokens_) {
    std::fill(next.begin(), next.end(), 0);
    switch (t.kind) {
      case Token::kStar:
      case Token::kRestOfPath: {
        const char32_t stop = t.kind == Token::kStar ? U'/' : U'\n';
        bool active = false;
        for (std::size_t q = 0; q <= n; ++q) {
          if (current[q]) active = true;
          if (active) next[q] = 1;
          if (q < n && path[q] == stop) active = false;
        }
        break;
      }
      case Token::kAnyDirs: {
        bool active = false;
        for (std::size_t q = 0; q <= n; ++q) {
          if (current[q]) next[q] = 1, active = true;
          if (q == n) break;
          if (active && path[q] == U'/') next[q + 1] = 1;
          if (path[q] == U'\n') active = false;
        }
        break;
      }
      default:
        for (std::size_t q = 0; q < n; ++q) {
          if (current[q] && token_matches(t, path[q])) next[q + 1] = 1;
        }
        break;
    }
    current.swap(next);
  }
  return current;
}

bool DockerignorePattern::matches_any_prefix(std::string_view path,
                                             const std::vector<std::size_t>& lengths) const {
  if (bad_range_) return false;
  if (type_ != MatchType::kGeneral) {
    for (std::size_t length : lengths) {
      if (matches(path.substr(0, length))) return true;
    }
    return false;
  }
  // Rune index of every byte offset that starts a rune (or ends the path).
  std::u32string runes;
  std::vector<std::size_t> rune_at(path.size() + 1, static_cast<std::size_t>(-1));
  for (std::size_t offset = 0; offset < path.size();) {
    rune_at[offset] = runes.size();
    const DecodedRune d = decode_rune(path.substr(offset));
    runes.push_back(d.rune);
    offset += d.width;
  }
  rune_at[path.size()] = runes.size();
  const std::vector<char> accepted = run_tokens(runes);
  for (std::size_t length : lengths) {
    if (length <= path.size() && rune_at[length] != static_cast<std::size_t>(-1) &&
        accepted[rune_at[length]]) {
      return true;
    }
  }
  return false;
}

bool DockerignorePattern::may_match_below(std::string_view dir) const {
  const std::vector<std::string_view> pattern_dirs = split_slash(text_);
  const std::vector<std::string_view> dir_parts = split_slash(dir);
  for (std::size_t i = 0; i < dir_parts.size(); ++i) {
    // Fewer components than `dir/x`: only `dir` or its parents can match.
    if (i >= pattern_dirs.size()) return false;
    const std::string_view component = pattern_dirs[i];
    // `**` crosses directories and a class may match `/`: cannot rule anything out.
    if (component.find("**") != std::string_view::npos ||
        component.find('[') != std::string_view::npos) {
      return true;
    }
    try {
      if (!DockerignorePattern(std::string(component), false).matches(dir_parts[i])) return false;
    } catch (const Error&) {
      return true;
    }
  }
  return pattern_dirs.size() > dir_parts.size();
}

}  // namespace mybuild::parser
