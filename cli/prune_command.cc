#include <cstdio>
#include <memory>
#include <ostream>
#include <string>

#include "builder/prune.h"
#include "cli/commands.h"
#include "cli/human_units.h"

namespace mybuild::cli {
namespace {

struct PruneFlags {
  bool force = false;
  bool dry_run = false;
};

}  // namespace

void add_prune_command(CLI::App& app, GlobalOptions& global, std::ostream& out) {
  auto flags = std::make_shared<PruneFlags>();
  auto* prune = app.add_subcommand(
      "prune", "Remove blobs that no tag, running build or cache record uses from the store");
  // docker prompts without -f; mybuild never prompts (it runs in CI), so -f is only accepted.
  prune->add_flag("-f,--force", flags->force, "Accepted for docker compatibility (no prompt)");
  prune->add_flag("--dry-run", flags->dry_run, "List what would be removed; remove nothing");
  prune->callback([flags, &global, &out] {
    auto result =
        builder::prune_store(prepare_root(global, /*create=*/false), {.dry_run = flags->dry_run});
    if (!result.removed.empty()) {
      out << (flags->dry_run ? "Would delete:\n" : "Deleted:\n");
      for (const auto& digest : result.removed) out << digest << "\n";
      out << "\n";
    }
    if (result.snapshots_busy) {
      out << "Snapshots kept: a build or run is using them\n";
    } else if (result.snapshots_removed > 0) {
      out << (flags->dry_run ? "Snapshots that would be removed: " : "Snapshots removed: ")
          << result.snapshots_removed << "\n";
    }
    out << (flags->dry_run ? "Total reclaimable space: " : "Total reclaimed space: ")
        << human_size(result.bytes_removed + result.snapshot_bytes_removed, 4) << "\n";
  });
}

}  // namespace mybuild::cli
