// Dockerfile text -> raw nodes (node.h). Implemented in antlr_to_ast.cc, the one file that sees
// the generated ANTLR parser.
#pragma once

#include <string>
#include <string_view>

#include "parser/node.h"

namespace mybuild::parser {

// Parses the whole text. Throws one common::Error (kDockerfile) listing every syntax error, with
// `where` set to the first. `filename` is used in messages and source ranges.
RawDockerfile parse_dockerfile(std::string_view text, std::string filename);

}  // namespace mybuild::parser
