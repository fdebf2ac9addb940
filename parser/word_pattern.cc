#include "parser/word_pattern.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <unordered_set>
#include <vector>

#include "common/error.h"
#include "parser/word_utf8.h"

namespace mybuild::parser {

namespace {

using common::Error;
using common::ErrorKind;

struct Token {
  enum Kind { kLiteral, kAnyOne, kAnyRun } kind;
  char32_t rune = 0;
};

// convertShellPatternToRegex, minus the regexp: the same tokens and the same errors.
std::vector<Token> compile(std::string_view pattern) {
  const std::u32string runes = decode_utf8(pattern);
  std::vector<Token> tokens;
  for (std::size_t i = 0; i < runes.size(); ++i) {
    const char32_t r = runes[i];
    if (r == U'*') {
      tokens.push_back({Token::kAnyRun});
    } else if (r == U'?') {
      tokens.push_back({Token::kAnyOne});
    } else if (r == U'\\') {
      const char32_t next = i + 1 < runes.size() ? runes[i + 1] : 0;
      // `}` and `/` had to be escaped to get into the pattern; the escape is not part of it.
      if (next == U'}' || next == U'/') continue;
      if (next != U'*' && next != U'?' && next != U'\\') {
        throw Error(ErrorKind::kDockerfile, "invalid pattern (" + std::string(pattern) +
                                                ") in substitution: invalid escape");
      }
      tokens.push_back({Token::kLiteral, next});
      ++i;
    } else {
      tokens.push_back({Token::kLiteral, r});
    }
  }
  return tokens;
}

// Finds matches of `tokens` in `value` in the order Go's regexp would prefer them: stars lazy
// (`.*?`) or greedy (`.*`), the leftmost start first. A state (token, position) that failed
// once fails again whatever the start, so the memo is shared by every search on one value.
class Search {
 public:
  Search(const std::vector<Token>& tokens, const std::u32string& value, bool greedy)
      : tokens_(tokens), value_(value), greedy_(greedy) {}

  // End of the preferred match that starts exactly at `start`.
  std::optional<std::size_t> match_at(std::size_t start) {
    struct Frame {
      std::size_t token, pos;
      int tried;
    };
    std::vector<Frame> stack;
    auto push = [&](std::size_t token, std::size_t pos) {
      if (!failed_.contains(key(token, pos))) stack.push_back({token, pos, 0});
    };
    push(0, start);
    while (!stack.empty()) {
      Frame& f = stack.back();
      if (f.token == tokens_.size()) return f.pos;
      const Token& t = tokens_[f.token];
      const bool can_take = f.pos < value_.size() && value_[f.pos] != U'\n';
      const int choices = t.kind == Token::kAnyRun ? 2 : 1;
      if (f.tried == choices) {
        failed_.insert(key(f.token, f.pos));
        stack.pop_back();
        continue;
      }
      const int choice = f.tried++;
      const std::size_t token = f.token, pos = f.pos;
      if (t.kind == Token::kLiteral) {
        if (pos < value_.size() && value_[pos] == t.rune) push(token + 1, pos + 1);
      } else if (t.kind == Token::kAnyOne) {
        if (can_take) push(token + 1, pos + 1);
      } else if ((choice == 0) == greedy_) {  // take one more character
        if (can_take) push(token, pos + 1);
      } else {  // stop the run here
        push(token + 1, pos);
      }
    }
    return std::nullopt;
  }

  // Leftmost match starting at or after `from`: [begin, end) in runes.
  std::optional<std::pair<std::size_t, std::size_t>> find(std::size_t from) {
    for (std::size_t start = from; start <= value_.size(); ++start) {
      if (auto end = match_at(start)) return std::make_pair(start, *end);
    }
    return std::nullopt;
  }

 private:
  std::uint64_t key(std::size_t token, std::size_t pos) const {
    return static_cast<std::uint64_t>(token) * (value_.size() + 1) + pos;
  }

  const std::vector<Token>& tokens_;
  const std::u32string& value_;
  bool greedy_;
  std::unordered_set<std::uint64_t> failed_;
};

// lex.go reversePattern: reverses the runes but keeps each `\x` pair in order, so that a
// suffix search can run as a prefix search on the reversed value.
std::string reverse_pattern(std::string_view pattern) {
  const std::u32string in = decode_utf8(pattern);
  std::u32string out(in.size(), 0);
  const std::size_t last = in.empty() ? 0 : in.size() - 1;
  for (std::size_t i = 0; i < in.size();) {
    const std::size_t out_index = last - i;
    if (in[i] == U'\\' && i != last) {
      out[out_index - 1] = in[i];
      out[out_index] = in[i + 1];
      i += 2;
    } else {
      out[out_index] = in[i];
      ++i;
    }
  }
  return encode_utf8(out);
}

// Byte offset of every rune of `value` (decoded the way decode_utf8 does), plus the end.
std::vector<std::size_t> rune_offsets(std::string_view value) {
  std::vector<std::size_t> offsets;
  offsets.reserve(value.size() + 1);
  std::size_t offset = 0;
  while (offset < value.size()) {
    offsets.push_back(offset);
    offset += decode_rune(value.substr(offset)).width;
  }
  offsets.push_back(offset);
  return offsets;
}

bool is_template_name_char(char32_t r) {
  // Go's unicode.IsLetter/IsDigit; non-ASCII letters are taken as name characters too.
  return (r >= U'a' && r <= U'z') || (r >= U'A' && r <= U'Z') || (r >= U'0' && r <= U'9') ||
         r == U'_' || (r >= 0x80 && !is_unicode_space(r));
}

// regexp.Expand as used by ReplaceAllString: `$$` is `$`, `$0`/`${0}` the whole match, any
// other (well-formed) group reference is empty (the pattern has no groups), a malformed `$`
// stays literal.
std::string expand_template(std::string_view tmpl, std::string_view match) {
  std::string out;
  while (!tmpl.empty()) {
    const std::size_t dollar = tmpl.find('$');
    if (dollar == std::string_view::npos) break;
    out.append(tmpl.substr(0, dollar));
    tmpl.remove_prefix(dollar + 1);
    if (!tmpl.empty() && tmpl[0] == '$') {
      out.push_back('$');
      tmpl.remove_prefix(1);
      continue;
    }
    std::string_view rest = tmpl;
    const bool brace = !rest.empty() && rest[0] == '{';
    if (brace) rest.remove_prefix(1);
    std::size_t n = 0;
    while (n < rest.size()) {
      const DecodedRune d = decode_rune(rest.substr(n));
      if (!is_template_name_char(d.rune)) break;
      n += d.width;
    }
    if (n == 0 || (brace && (n >= rest.size() || rest[n] != '}'))) {
      out.push_back('$');
      continue;
    }
    const std::string_view name = rest.substr(0, n);
    if (name == "0") out.append(match);
    tmpl = rest.substr(n + (brace ? 1 : 0));
  }
  out.append(tmpl);
  return out;
}

std::string reverse_runes(std::string_view value) {
  std::u32string runes = decode_utf8(value);
  std::reverse(runes.begin(), runes.end());
  return encode_utf8(runes);
}

}  // namespace

std::string remove_prefix_pattern(std::string_view value, std::string_view pattern, bool longest) {
  const std::vector<Token> tokens = compile(pattern);
  const std::u32string runes = decode_utf8(value);
  Search search(tokens, runes, longest);
  if (auto end = search.match_at(0)) return std::string(value.substr(rune_offsets(value)[*end]));
  return std::string(value);
}

std::string remove_suffix_pattern(std::string_view value, std::string_view pattern, bool longest) {
  // As lex.go trimSuffix: regexps find the leftmost match, so search the reversed value.
  const std::string reversed =
      remove_prefix_pattern(reverse_runes(value), reverse_pattern(pattern), longest);
  return reverse_runes(reversed);
}

std::string replace_pattern(std::string_view value, std::string_view pattern,
                            std::string_view replacement, bool all) {
  const std::vector<Token> tokens = compile(pattern);
  const std::u32string runes = decode_utf8(value);
  Search search(tokens, runes, /*greedy=*/true);
  const std::vector<std::size_t> offsets = rune_offsets(value);
  if (!all) {
    auto m = search.find(0);
    if (!m) return std::string(value);
    const std::size_t begin = offsets[m->first], end = offsets[m->second];
    return std::string(value.substr(0, begin)) + std::string(replacement) +
           std::string(value.substr(end));
  }
  // regexp.ReplaceAllString: non-overlapping matches left to right; an empty match right after
  // the previous match is not replaced; the search always advances by at least one character.
  std::string out;
  std::size_t last_end = 0, search_pos = 0;
  while (search_pos <= runes.size()) {
    auto m = search.find(search_pos);
    if (!m) break;
    const std::size_t begin_b = offsets[m->first], end_b = offsets[m->second];
    const std::size_t last_b = offsets[last_end];
    out.append(value.substr(last_b, begin_b - last_b));
    if (m->second > last_end || m->first == 0) {
      out += expand_template(replacement, value.substr(begin_b, end_b - begin_b));
    }
    last_end = m->second;
    search_pos = search_pos + 1 > m->second ? search_pos + 1 : m->second;
  }
  out.append(value.substr(offsets[last_end]));
  return out;
}

}  // namespace mybuild::parser
