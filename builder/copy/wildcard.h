// Wildcards in COPY/ADD sources, with Go's filepath.Match syntax because that is what BuildKit
// matches them with: `*` (any run of non-'/' characters), `?` (one non-'/' character),
// `[abc]`, `[a-z]`, `[^a-z]` and `\` escapes. Characters are UTF-8 code points, as in Go.
#pragma once

#include <string>
#include <string_view>

namespace mybuild::builder {

// Whether `component` contains an unescaped `*`, `?` or `[` (fsutil's containsWildcards).
bool has_wildcards(std::string_view path);

// Go's filepath.Match(pattern, name). Throws Error(kDockerfile) "syntax error in pattern"
// naming the pattern when it is malformed (an unclosed `[`, a trailing `\`, a bad range),
// whatever the name.
bool wildcard_match(std::string_view pattern, std::string_view name);

// Removes the escaping backslashes of a component without wildcards ("a\*b" -> "a*b").
std::string unescape_wildcards(std::string_view component);

}  // namespace mybuild::builder
