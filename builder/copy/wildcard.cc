#include "builder/copy/wildcard.h"

#include <cstdint>
#include <optional>
#include <vector>

#include "common/error.h"

namespace mybuild::builder {
namespace {

using common::Error;
using common::ErrorKind;

[[noreturn]] void bad_pattern(std::string_view pattern) {
  throw Error(ErrorKind::kDockerfile, "syntax error in pattern \"" + std::string(pattern) + "\"");
}

// Decodes one UTF-8 code point at s[i], advancing i. Invalid bytes count as one code point each,
// as Go's utf8.DecodeRuneInString returns RuneError width 1.
char32_t next_rune(std::string_view s, size_t& i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  int len = b0 < 0x80 ? 1 : (b0 >> 5) == 6 ? 2 : (b0 >> 4) == 14 ? 3 : (b0 >> 3) == 30 ? 4 : 0;
  if (len == 0 || i + static_cast<size_t>(len) > s.size()) {
    ++i;
    return 0xFFFD;
  }
  char32_t r = len == 1 ? b0 : (b0 & (0x7F >> len));
  for (int k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + static_cast<size_t>(k)]);
    if ((b >> 6) != 2) {
      ++i;
      return 0xFFFD;
    }
    r = (r << 6) | (b & 0x3F);
  }
  i += static_cast<size_t>(len);
  return r;
}

struct Range {
  char32_t lo, hi;
};

struct Token {
  enum Kind { kLiteral, kAny, kClass, kStar };
  explicit Token(Kind k, char32_t r = 0) : kind(k), rune(r) {}
  Kind kind;
  char32_t rune;
  bool negated = false;
  std::vector<Range> ranges;

  bool matches(char32_t c) const {
    switch (kind) {
      case kLiteral:
        return c == rune;
      case kAny:
        return c != '/';
      case kClass: {
        bool in = false;
        for (const auto& r : ranges) in = in || (r.lo <= c && c <= r.hi);
        return in != negated && c != '/';
      }
      case kStar:
        break;
    }
    return false;
  }
};

// Parses one class character (`\`-escapes allowed; `-` and `]` end it), Go's getEsc.
char32_t class_char(std::string_view p, size_t& i, std::string_view pattern) {
  if (i >= p.size() || p[i] == '-' || p[i] == ']') bad_pattern(pattern);
  if (p[i] == '\\') {
    ++i;
    if (i >= p.size()) bad_pattern(pattern);
  }
  return next_rune(p, i);
}

std::vector<Token> tokenize(std::string_view p) {
  std::vector<Token> out;
  size_t i = 0;
  while (i < p.size()) {
    const char c = p[i];
    if (c == '*') {
      ++i;
      if (out.empty() || out.back().kind != Token::kStar) out.emplace_back(Token::kStar);
    } else if (c == '?') {
      ++i;
      out.emplace_back(Token::kAny);
    } else if (c == '[') {
      ++i;
      Token t(Token::kClass);
      if (i < p.size() && p[i] == '^') {
        t.negated = true;
        ++i;
      }
      bool first = true;
      while (true) {
        if (i < p.size() && p[i] == ']' && !first) {
          ++i;
          break;
        }
        const char32_t lo = class_char(p, i, p);
        char32_t hi = lo;
        if (i < p.size() && p[i] == '-') {
          ++i;
          hi = class_char(p, i, p);
          if (hi < lo) bad_pattern(p);
        }
        t.ranges.push_back({lo, hi});
        first = false;
      }
      out.push_back(std::move(t));
    } else {
      if (c == '\\') {
        ++i;
        if (i >= p.size()) bad_pattern(p);
      }
      out.emplace_back(Token::kLiteral, next_rune(p, i));
    }
  }
  return out;
}

}  // namespace

bool has_wildcards(std::string_view path) {
  for (size_t i = 0; i < path.size(); ++i) {
    if (path[i] == '\\') {
      ++i;
    } else if (path[i] == '*' || path[i] == '?' || path[i] == '[') {
      return true;
    }
  }
  return false;
}

bool wildcard_match(std::string_view pattern, std::string_view name) {
  const std::vector<Token> tokens = tokenize(pattern);
  std::vector<char32_t> runes;
  for (size_t i = 0; i < name.size();) runes.push_back(next_rune(name, i));

  // Greedy matching with backtracking to the last star. Backtracking further is never needed:
  // a later star can absorb whatever an earlier one could, and no star may cross a '/'.
  size_t t = 0, r = 0;
  std::optional<size_t> star_t;
  size_t star_r = 0;
  while (r < runes.size()) {
    if (t < tokens.size() && tokens[t].kind == Token::kStar) {
      star_t = t++;
      star_r = r;
    } else if (t < tokens.size() && tokens[t].matches(runes[r])) {
      ++t;
      ++r;
    } else if (star_t && runes[star_r] != '/') {
      t = *star_t + 1;
      r = ++star_r;
    } else {
      return false;
    }
  }
  while (t < tokens.size() && tokens[t].kind == Token::kStar) ++t;
  return t == tokens.size();
}

std::string unescape_wildcards(std::string_view component) {
  std::string out;
  for (size_t i = 0; i < component.size(); ++i) {
    if (component[i] == '\\' && i + 1 < component.size()) ++i;
    out += component[i];
  }
  return out;
}

}  // namespace mybuild::builder
