// Each subcommand lives in its own file and registers itself on the app with one function.
// A command's callback throws common::Error on failure; main() turns that into an exit code.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/context.h"

namespace mybuild::cli {

// `build` (cli/build_command.cc): progress goes to `err`, the image id (with -q) to `out`.
void add_build_command(CLI::App& app, GlobalOptions& global, std::ostream& out, std::ostream& err);
void add_debug_command(CLI::App& app, GlobalOptions& global);
// Output goes to `out` (the app's stdout), so tests can read it.
void add_prune_command(CLI::App& app, GlobalOptions& global, std::ostream& out);
// `import ROOTFS.tar REF` (cli/import_command.cc): prints the new image id to `out`.
void add_import_command(CLI::App& app, GlobalOptions& global, std::ostream& out);
// `doctor` (cli/doctor_command.cc): what this host allows the sandbox, printed to `out`.
void add_doctor_command(CLI::App& app, std::ostream& out);
// `login` and `logout` (cli/login_command.cc); messages go to `out`/`err`.
void add_login_commands(CLI::App& app, GlobalOptions& global, std::ostream& out, std::ostream& err);
// The image commands over the local store (cli/<name>_command.cc); tables and JSON go to `out`,
// per-name failures of rmi/inspect to `err` (the last one is thrown, as every command's error).
void add_images_command(CLI::App& app, GlobalOptions& global, std::ostream& out);
void add_tag_command(CLI::App& app, GlobalOptions& global);
void add_rmi_command(CLI::App& app, GlobalOptions& global, std::ostream& out, std::ostream& err);
void add_inspect_command(CLI::App& app, GlobalOptions& global, std::ostream& out,
                         std::ostream& err);
// `pull` and `push` against registries; progress lines go to `out` as docker prints them.
void add_pull_command(CLI::App& app, GlobalOptions& global, std::ostream& out);
void add_push_command(CLI::App& app, GlobalOptions& global, std::ostream& out);
// `check [--repair]` (cli/check_command.cc): the problems found, and a summary line, to `out`;
// exits 1 while a problem is left (GlobalOptions::exit_code).
void add_check_command(CLI::App& app, GlobalOptions& global, std::ostream& out);
// `run IMAGE [CMD...]` (cli/run_command.cc): the process's output goes to `out`; mybuild exits
// with its exit code (GlobalOptions::exit_code).
void add_run_command(CLI::App& app, GlobalOptions& global, std::ostream& out);

// The subcommand names, for the "mybuild -t x ." -> "mybuild build -t x ." rewrite.
bool is_subcommand_name(std::string_view word);

}  // namespace mybuild::cli
