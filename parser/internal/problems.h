// Collected Dockerfile problems and how they become one error: the parser reports every
// problem of a file at once (STYLE.md §3), each naming file:line:column.
#pragma once

#include <string>
#include <vector>

#include "common/error.h"

namespace mybuild::parser::internal {

struct Problem {
  common::SourceRange where;
  std::string message;
};

Problem problem_at(const std::string& file, int line, int column, std::string message);

// Throws Error(kDockerfile): "file:line:col: message" for one problem, else a count and one
// such line per problem (sorted by line); `where` is the first problem's.
[[noreturn]] void throw_problems(const std::string& file, std::vector<Problem> problems);

}  // namespace mybuild::parser::internal
