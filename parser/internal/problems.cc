#include "parser/internal/problems.h"

#include <algorithm>

namespace mybuild::parser::internal {
namespace {

std::string where_text(const std::string& file, const common::SourceRange& r) {
  // Built with append: GCC 12 gives a false -Wrestrict on chained `+` of temporaries.
  std::string out = file;
  out.append(":").append(std::to_string(r.line));
  if (r.column > 0) out.append(":").append(std::to_string(r.column));
  return out;
}

}  // namespace

Problem problem_at(const std::string& file, int line, int column, std::string message) {
  Problem p;
  p.where.file = file;
  p.where.line = line;
  p.where.column = column;
  p.where.end_line = line;
  p.message = std::move(message);
  return p;
}

void throw_problems(const std::string& file, std::vector<Problem> problems) {
  std::stable_sort(problems.begin(), problems.end(),
                   [](const Problem& a, const Problem& b) { return a.where.line < b.where.line; });
  if (problems.empty()) problems.push_back(problem_at(file, 1, 0, "unknown problem"));
  const common::SourceRange& first = problems[0].where;
  if (problems.size() == 1) {
    std::string message = where_text(file, first);
    message.append(": ").append(problems[0].message);
    throw common::Error(common::ErrorKind::kDockerfile, message, first);
  }
  std::string message = std::to_string(problems.size());
  message.append(" errors in ").append(file).append(":");
  for (const Problem& p : problems) {
    message.append("\n  ").append(where_text(file, p.where)).append(": ").append(p.message);
  }
  throw common::Error(common::ErrorKind::kDockerfile, message, first);
}

}  // namespace mybuild::parser::internal
