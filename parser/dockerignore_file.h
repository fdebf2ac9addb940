// Reading a .dockerignore file into its list of patterns, exactly as moby/patternmatcher's
// ignorefile.ReadAll does (what `docker build` and BuildKit use):
//   - a UTF-8 byte-order mark at the start is dropped;
//   - a line whose FIRST character is `#` is a comment (no trailing or indented comments);
//   - each line is trimmed of surrounding white space; empty lines are skipped;
//   - a leading `!` marks an exception and the white space after it is trimmed;
//   - the rest is path-cleaned (Go's filepath.Clean) and one leading `/` removed, because
//     patterns are relative to the context root whatever they look like.
// A line that is only `!` is kept as "!": reading never fails; DockerignoreMatcher rejects it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mybuild::parser {

std::vector<std::string> read_dockerignore(std::string_view content);

// Go's path/filepath.Clean for slash-separated paths: collapses `//`, removes `.` elements
// and resolves `..` lexically; "" becomes "."; no trailing slash except for "/".
std::string clean_path(std::string_view path);

}  // namespace mybuild::parser
