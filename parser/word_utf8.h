// UTF-8 decoding the way Go does it, for the two parsers of untrusted text that must agree with
// BuildKit byte for byte: word expansion (Go's text/scanner and regexp work on runes) and
// .dockerignore matching (`?` matches one code point, not one byte).
//
// Invalid input never fails: each byte that does not start a valid sequence decodes to U+FFFD
// with width 1, exactly like Go's utf8.DecodeRuneInString (overlong forms, surrogates and values
// above U+10FFFF are invalid).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace mybuild::parser {

inline constexpr char32_t kReplacementChar = 0xFFFD;

struct DecodedRune {
  char32_t rune;
  std::size_t width;  // bytes consumed, >= 1 unless text is empty
};

// Decodes the code point at the start of `text` (text must not be empty).
DecodedRune decode_rune(std::string_view text);

// All code points of `text`, invalid bytes as U+FFFD.
std::u32string decode_utf8(std::string_view text);

// Appends the UTF-8 form of `rune` (U+FFFD for values that are not scalar values).
void append_utf8(std::string& out, char32_t rune);
std::string encode_utf8(std::u32string_view runes);

// Go's unicode.IsSpace: ASCII white space plus U+0085, U+00A0 and the Unicode Z spaces.
bool is_unicode_space(char32_t rune);

}  // namespace mybuild::parser
