// The shell patterns of ${V#p} ${V##p} ${V%p} ${V%%p} ${V/p/r} ${V//p/r}, with BuildKit's exact
// semantics (frontend/dockerfile/shell/lex.go convertShellPatternToRegex): `*` is any run of
// characters, `?` any one character, `\` makes the next `*`, `?` or `\` literal and is dropped
// before `}` and `/`; any other `\x` is an error. BuildKit turns the pattern into a Go regexp,
// so `*` and `?` do not match a newline (regexp `.`), shortest vs longest is lazy vs greedy
// stars, and ${V//p/r} follows regexp.ReplaceAllString, including `$0`/`$$` in the replacement.
// Here the pattern is matched directly (a backtracking search that tries alternatives in the
// regexp's order of preference, with failed states memoised, so it is O(pattern x value)).
#pragma once

#include <string>
#include <string_view>

namespace mybuild::parser {

// All throw common::Error(kDockerfile) for an invalid pattern.
std::string remove_prefix_pattern(std::string_view value, std::string_view pattern, bool longest);
std::string remove_suffix_pattern(std::string_view value, std::string_view pattern, bool longest);
std::string replace_pattern(std::string_view value, std::string_view pattern,
                            std::string_view replacement, bool all);

}  // namespace mybuild::parser
