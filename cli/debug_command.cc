#include <iostream>

#include "cli/commands.h"
#include "common/error.h"
#include "common/io.h"
#include "parser/dump.h"
#include "parser/parse.h"

namespace mybuild::cli {

void add_debug_command(CLI::App& app, GlobalOptions& /*global*/) {
  auto* debug = app.add_subcommand("debug", "Developer tools");
  debug->require_subcommand(1);
  auto file = std::make_shared<std::string>();
  auto* parse = debug->add_subcommand("parse", "Print a Dockerfile's syntax tree as BuildKit does");
  parse->add_option("file", *file, "Dockerfile to parse")->required();
  parse->callback([file] {
    // Dockerfiles larger than this are not Dockerfiles; the limit keeps a mistaken path (a
    // disk image, a log) from being read whole.
    constexpr size_t kMaxDockerfile = size_t{256} << 20;
    std::string text = common::read_file(*file, kMaxDockerfile);
    parser::RawDockerfile parsed = parser::parse_dockerfile(text, *file);
    std::cout << parser::dump(parsed.nodes) << std::flush;
  });
}

}  // namespace mybuild::cli
