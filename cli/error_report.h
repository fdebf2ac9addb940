// Turns an exception into what the user sees on stderr: one "error: ..." line, then for
// Dockerfile errors the offending source line with a caret under the column.
#pragma once

#include <exception>
#include <ostream>

namespace mybuild::cli {

// Prints the error and returns the exit code to use. Never throws.
int report_error(const std::exception& e, std::ostream& err, bool debug);

}  // namespace mybuild::cli
