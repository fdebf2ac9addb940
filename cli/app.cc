#include "cli/app.h"

#include <iostream>
#include <string>
#include <vector>

#include "builder/rootless.h"
#include "cli/commands.h"
#include "cli/error_report.h"
#include "cli/exit_codes.h"
#include "common/log.h"
#include "common/version.h"

namespace mybuild::cli {
namespace {

constexpr std::string_view kSubcommands[] = {
    "build", "debug", "images", "push",   "pull", "tag",    "rmi", "inspect",
    "prune", "login", "logout", "doctor", "help", "import", "run", "check"};

// Commands that need no store and no sandbox run as the caller even when unprivileged.
bool needs_rootless(const CLI::App& app) {
  auto subs = app.get_subcommands();
  if (subs.empty()) return false;
  const std::string& name = subs.front()->get_name();
  return name != "help" && name != "login" && name != "logout" && name != "doctor" &&
         name != "debug";
}

// Thrown in the process that only waited for the rootless child, to exit with its code.
struct WaitedForRootless {
  int code;
};

// `mybuild -t app:v1 .` means `mybuild build -t app:v1 .`: insert "build" before the first
// argument that is neither a global option nor a subcommand name.
std::vector<std::string> with_default_subcommand(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--debug" || a.rfind("--root=", 0) == 0 || a.rfind("--isolation=", 0) == 0) continue;
    if (a == "--root" || a == "--isolation") {
      ++i;
      continue;
    }
    if (a == "-h" || a == "--help" || a == "--version" || is_subcommand_name(a)) break;
    args.insert(args.begin() + static_cast<std::ptrdiff_t>(i), "build");
    break;
  }
  return args;
}

}  // namespace

bool is_subcommand_name(std::string_view word) {
  for (auto name : kSubcommands) {
    if (word == name) return true;
  }
  return false;
}

int run(int argc, char** argv, std::ostream& out, std::ostream& err) {
  GlobalOptions global;
  CLI::App app{"mybuild: a daemonless Dockerfile image builder", "mybuild"};
  app.set_version_flag("--version", std::string("mybuild version ") + common::kVersion);
  app.add_flag("--debug", global.debug, "Verbose logs and full error context");
  app.add_option("--root", global.root, "State directory (default /var/lib/mybuild as root)");
  app.add_option("--isolation", global.isolation,
                 "How RUN steps are isolated: auto (default: the strongest this host allows), "
                 "namespaces, rootless or chroot")
      ->check(CLI::IsMember({"auto", "namespaces", "rootless", "chroot"}));
  // Runs after the global options are parsed and before any command's callback.
  app.parse_complete_callback([&global, &app] {
    if (global.debug) common::log::set_level(common::log::Level::kDebug);
    if (!needs_rootless(app)) return;
    // Unprivileged: re-enter as root of a user namespace (builder/rootless.h). The state root
    // is decided out here, so the inside (uid 0) does not pick /var/lib/mybuild.
    global.root = resolve_root(global);
    if (auto code = builder::enter_rootless_if_needed(global.isolation)) {
      throw WaitedForRootless{*code};
    }
  });
  app.fallthrough();  // global options are accepted after the subcommand too
  app.require_subcommand(0, 1);
  add_build_command(app, global, out, err);
  add_debug_command(app, global);
  add_prune_command(app, global, out);
  add_import_command(app, global, out);
  add_doctor_command(app, out);
  add_login_commands(app, global, out, err);
  add_images_command(app, global, out);
  add_tag_command(app, global);
  add_rmi_command(app, global, out, err);
  add_inspect_command(app, global, out, err);
  add_pull_command(app, global, out);
  add_push_command(app, global, out);
  add_run_command(app, global, out);
  add_check_command(app, global, out);

  auto args = with_default_subcommand(argc, argv);
  if (args.empty()) {
    out << app.help();
    return kExitOk;
  }
  std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 takes them reversed
  try {
    app.parse(reversed);
  } catch (const WaitedForRootless& done) {
    return done.code;
  } catch (const CLI::CallForHelp&) {
    out << (app.get_subcommands().empty() ? app.help() : app.get_subcommands().back()->help());
    return kExitOk;
  } catch (const CLI::CallForAllHelp&) {
    out << app.help("", CLI::AppFormatMode::All);
    return kExitOk;
  } catch (const CLI::CallForVersion&) {
    out << app.version() << "\n";
    return kExitOk;
  } catch (const CLI::ParseError& e) {
    err << "error: " << e.what() << "\n";
    std::string sub =
        app.get_subcommands().empty() ? "" : app.get_subcommands().back()->get_name() + " ";
    err << "hint: run 'mybuild " << sub << "--help' for usage\n";
    return kExitUsage;
  } catch (const std::exception& e) {
    int code = report_error(e, err, global.debug);
    // Cancelled by a signal: the shell's convention, 128 + the signal (143 for SIGTERM).
    if (code == kExitCancelled && global.cancel_signal != 0) return 128 + global.cancel_signal;
    return code;
  }
  return global.exit_code;
}

}  // namespace mybuild::cli
