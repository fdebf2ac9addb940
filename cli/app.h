// The mybuild command line: builds the CLI11 app, parses argv and runs the chosen command.
#pragma once

#include <iosfwd>

namespace mybuild::cli {

// Runs mybuild with these arguments; returns the process exit code. Never throws.
int run(int argc, char** argv, std::ostream& out, std::ostream& err);

}  // namespace mybuild::cli
