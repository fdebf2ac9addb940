#include "cli/error_report.h"

#include <fstream>
#include <string>

#include "builder/build.h"
#include "cli/exit_codes.h"
#include "common/error.h"

namespace mybuild::cli {
namespace {

// Reads line `n` (1-based) of `file`, or "" when it cannot.
std::string source_line(const std::string& file, int n) {
  std::ifstream in(file, std::ios::binary);
  std::string line;
  for (int i = 1; i <= n && std::getline(in, line); ++i) {
    if (i == n) return line;
  }
  return {};
}

void print_where(const common::SourceRange& where, const std::string* line_text,
                 std::ostream& err) {
  if (where.line <= 0) return;
  if (!line_text && (where.file.empty() || where.file == "-")) return;
  // The line the builder sent along, else the line of the file named (a Dockerfile on disk).
  std::string line = line_text ? *line_text : source_line(where.file, where.line);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line.size() > 200) line = line.substr(0, 200) + "...";
  if (line.empty()) return;
  // Built with append: GCC 12 gives a false -Wrestrict on `" " + to_string(n) + " | "`.
  std::string prefix(" ");
  prefix.append(std::to_string(where.line)).append(" | ");
  err << prefix << line << "\n";
  if (where.column > 0 && static_cast<size_t>(where.column) <= line.size() + 1) {
    std::string pad(prefix.size() + static_cast<size_t>(where.column) - 1, ' ');
    // Keep tabs so the caret lines up under a tab-indented source line.
    for (size_t i = 0; i + 1 < static_cast<size_t>(where.column) && i < line.size(); ++i) {
      if (line[i] == '\t') pad[prefix.size() + i] = '\t';
    }
    err << pad << "^\n";
  }
}

}  // namespace

int report_error(const std::exception& e, std::ostream& err, bool debug) {
  try {
    if (const auto* me = dynamic_cast<const common::Error*>(&e)) {
      err << "error: " << me->full_message() << "\n";
      if (me->where()) {
        const auto* sourced = dynamic_cast<const builder::DockerfileLineError*>(me);
        print_where(*me->where(), sourced ? &sourced->line_text() : nullptr, err);
      }
      if (me->kind() == common::ErrorKind::kUsage) {
        err << "hint: run 'mybuild --help' for usage\n";
      }
      if (debug) err << "debug: error kind: " << common::to_string(me->kind()) << "\n";
      return exit_code_for(me->kind());
    }
    err << "error: internal error: " << e.what()
        << "\n(this is a bug in mybuild; please report it with the command you ran)\n";
  } catch (...) {
    // Writing the report itself failed (a closed stderr): nothing is left to report to, and
    // the exit code below still says the command failed.
  }
  return kExitFailure;
}

}  // namespace mybuild::cli
