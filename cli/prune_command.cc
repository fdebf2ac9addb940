#include <cstdio>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "builder/prune.h"
#include "cli/byte_size.h"
#include "cli/commands.h"
#include "cli/human_units.h"
#include "common/duration.h"
#include "common/error.h"

namespace mybuild::cli {
namespace {

struct PruneFlags {
  bool force = false;
  bool dry_run = false;
  std::string keep_storage;          // docker builder prune --keep-storage (e.g. 5GB)
  std::vector<std::string> filters;  // docker's --filter; only until=DURATION
};

builder::PruneOptions prune_options(const PruneFlags& f) {
  builder::PruneOptions o{
      .dry_run = f.dry_run, .until = std::nullopt, .keep_storage = std::nullopt};
  if (!f.keep_storage.empty()) {
    o.keep_storage = static_cast<int64_t>(parse_byte_size(f.keep_storage, "--keep-storage"));
  }
  for (const auto& filter : f.filters) {
    auto d = filter.starts_with("until=") ? common::parse_duration(filter.substr(6)) : std::nullopt;
    if (!d || d->count() < 0) {
      throw common::Error(common::ErrorKind::kUsage, "invalid --filter " + filter +
                                                         " (mybuild takes until=DURATION, e.g. "
                                                         "until=24h)");
    }
    o.until = std::chrono::duration_cast<std::chrono::seconds>(*d);
  }
  return o;
}

}  // namespace

void add_prune_command(CLI::App& app, GlobalOptions& global, std::ostream& out) {
  auto flags = std::make_shared<PruneFlags>();
  auto* prune = app.add_subcommand(
      "prune", "Remove blobs that no tag, running build or cache record uses from the store");
  // docker prompts without -f; mybuild never prompts (it runs in CI), so -f is only accepted.
  prune->add_flag("-f,--force", flags->force, "Accepted for docker compatibility (no prompt)");
  prune->add_flag("--dry-run", flags->dry_run, "List what would be removed; remove nothing");
  prune->add_option("--keep-storage", flags->keep_storage,
                    "Drop least recently used build cache until the store is at most this size");
  prune
      ->add_option("--filter", flags->filters,
                   "until=DURATION: drop build cache unused for longer (e.g. 24h)")
      ->allow_extra_args(false);
  prune->callback([flags, &global, &out] {
    auto result =
        builder::prune_store(prepare_root(global, /*create=*/false), prune_options(*flags));
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
    if (result.cache_records_removed + result.cache_mounts_removed + result.git_checkouts_removed >
        0) {
      out << (flags->dry_run ? "Build cache that would be removed: " : "Build cache removed: ")
          << result.cache_records_removed << " records, " << result.cache_mounts_removed
          << " cache mounts, " << result.git_checkouts_removed << " git checkouts\n";
    }
    out << (flags->dry_run ? "Total reclaimable space: " : "Total reclaimed space: ")
        << human_size(result.bytes_removed + result.snapshot_bytes_removed, 4) << "\n";
  });
}

}  // namespace mybuild::cli
