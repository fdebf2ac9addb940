// Raw nodes -> typed stages (ast.h), BuildKit's second level (instructions.Parse): checks every
// instruction and flag and reports all problems of the file at once.
#pragma once

#include <string>
#include <string_view>

#include "parser/ast.h"
#include "parser/node.h"

namespace mybuild::parser {

// Throws one common::Error (kDockerfile) listing every problem, `where` set to the first:
// unknown instruction (with a "did you mean" hint), flag not allowed on the instruction, bad
// flag value, SHELL not in JSON form, an instruction before the first FROM, a bad stage name,
// ONBUILD of ONBUILD/FROM/MAINTAINER. A duplicate stage name is a warning.
Dockerfile parse_stages(const RawDockerfile& raw);

// parse_dockerfile + parse_stages.
Dockerfile parse_typed(std::string_view text, std::string filename);

}  // namespace mybuild::parser
