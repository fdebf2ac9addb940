#include "cli/commands.h"
#include "common/error.h"

namespace mybuild::cli {

void add_debug_command(CLI::App& app, GlobalOptions& /*global*/) {
  auto* debug = app.add_subcommand("debug", "Developer tools");
  debug->require_subcommand(1);
  auto file = std::make_shared<std::string>();
  auto* parse = debug->add_subcommand("parse", "Print a Dockerfile's syntax tree as BuildKit does");
  parse->add_option("file", *file, "Dockerfile to parse")->required();
  parse->callback([file] {
    throw common::Error(common::ErrorKind::kInternal, "debug parse: not implemented yet");
  });
}

}  // namespace mybuild::cli
