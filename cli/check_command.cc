#include <filesystem>
#include <memory>
#include <ostream>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "image/store_check.h"

namespace mybuild::cli {

// `mybuild check [--repair]`: lists what is corrupt or dangling in the store (image/
// store_check.h), one line each. Exit 0 when the store is whole, or when --repair removed every
// problem it found; 1 while a problem remains.
void add_check_command(CLI::App& app, GlobalOptions& global, std::ostream& out) {
  auto repair = std::make_shared<bool>(false);
  auto* check = app.add_subcommand(
      "check",
      "Verify every blob, tag, cache record and snapshot of the store; --repair removes "
      "what is corrupt or dangling");
  check->add_flag("--repair", *repair,
                  "Remove corrupt blobs and the records that name what is gone");
  check->callback([repair, &global, &out] {
    image::CheckReport report;
    std::string root = resolve_root(global);
    if (!std::filesystem::exists(root)) {
      out << "no store at " << root << ": nothing to check\n";
      return;
    }
    // Before anything opens the database (this command's reclaim in prepare_root does).
    image::check_wal(root, report);
    prepare_root(global, /*create=*/false);
    image::check_store(root, {.repair = *repair}, report);
    int left = 0;
    for (const auto& p : report.problems) {
      out << (p.repaired ? "repaired: " : "problem: ") << p.what << "\n";
      if (!p.repaired) ++left;
    }
    out << "checked " << report.blobs << " blobs, " << report.references << " references, "
        << report.snapshots << " snapshots: ";
    if (report.clean()) {
      out << "clean\n";
    } else {
      out << report.problems.size() << " problems, " << left << " left\n";
    }
    if (left > 0) global.exit_code = kExitFailure;
  });
}

}  // namespace mybuild::cli
