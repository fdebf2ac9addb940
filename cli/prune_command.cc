#include <cstdio>
#include <memory>
#include <ostream>
#include <string>

#include "builder/store_commands.h"
#include "cli/commands.h"

namespace mybuild::cli {
namespace {

struct PruneFlags {
  bool force = false;
  bool dry_run = false;
};

// Docker's units.HumanSize: decimal units, about 3 significant digits ("1.23MB", "512B").
std::string human_size(int64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "kB", "MB", "GB", "TB", "PB"};
  double value = static_cast<double>(bytes);
  size_t unit = 0;
  while (value >= 1000 && unit + 1 < std::size(kUnits)) {
    value /= 1000;
    ++unit;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g%s", value, kUnits[unit]);
  return buf;
}

}  // namespace

void add_prune_command(CLI::App& app, GlobalOptions& global, std::ostream& out) {
  auto flags = std::make_shared<PruneFlags>();
  auto* prune = app.add_subcommand(
      "prune", "Remove blobs that no tag, running build or cache record uses from the store");
  // docker prompts without -f; mybuild never prompts (it runs in CI), so -f is only accepted.
  prune->add_flag("-f,--force", flags->force, "Accepted for docker compatibility (no prompt)");
  prune->add_flag("--dry-run", flags->dry_run, "List what would be removed; remove nothing");
  prune->callback([flags, &global, &out] {
    auto result = builder::prune_store(resolve_root(global), {.dry_run = flags->dry_run});
    if (!result.removed.empty()) {
      out << (flags->dry_run ? "Would delete:\n" : "Deleted:\n");
      for (const auto& digest : result.removed) out << digest << "\n";
      out << "\n";
    }
    out << (flags->dry_run ? "Total reclaimable space: " : "Total reclaimed space: ")
        << human_size(result.bytes_removed) << "\n";
  });
}

}  // namespace mybuild::cli
