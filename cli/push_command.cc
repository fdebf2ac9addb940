// `mybuild push [--compression gzip|zstd|none] [--compression-level N] NAME[:TAG] [DESTINATION]`,
// with docker push's output. Without DESTINATION the image goes to the registry and repository
// its name says; with it (as podman push SOURCE DEST) to DESTINATION, without tagging it locally.
// Layers stored in another compression than the one asked for (a build stores them
// uncompressed) are converted first (image/layer_convert.h); gzip is docker's default.
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>

#include "cli/commands.h"
#include "cli/registry_flags.h"
#include "common/trace.h"
#include "image/transfer_commands.h"

namespace mybuild::cli {
namespace {

struct PushFlags {
  std::string name;
  std::string dest;
  image::RegistryFlags registry;
  image::PushCompression compression;
  std::string trace;
};

}  // namespace

void add_push_command(CLI::App& app, GlobalOptions& global, std::ostream& out) {
  auto flags = std::make_shared<PushFlags>();
  auto* cmd = app.add_subcommand("push", "Push an image from the local store to a registry");
  cmd->add_option("name", flags->name, "Local image: NAME[:TAG] or image ID")->required();
  cmd->add_option("destination", flags->dest, "Where to push it (REGISTRY/REPOSITORY[:TAG])");
  add_registry_flags(cmd, flags->registry);
  cmd->add_option("--compression", flags->compression.compression,
                  "Layer compression to push: gzip (default), zstd, none; stored layers in "
                  "another one are converted")
      ->check(CLI::IsMember({"gzip", "zstd", "none", "uncompressed"}));
  cmd->add_option("--compression-level", flags->compression.level,
                  "Compression level (gzip 0-12: 1-3 ISA-L, default 1; zstd 1-22)");
  cmd->add_option("--trace", flags->trace,
                  "Write Chrome trace events (open in Perfetto) of compression and uploads");
  cmd->callback([flags, &global, &out] {
    std::optional<common::TraceWriter> trace;
    std::optional<common::TraceInstall> tracing;
    if (!flags->trace.empty()) tracing.emplace(trace.emplace(flags->trace));
    common::TraceTrack track("push");
    common::TraceSpan span("mybuild push");
    std::mutex mu;  // layer lines come from the upload threads
    auto log = [&](std::string_view line) {
      std::lock_guard lk(mu);
      out << line << "\n" << std::flush;
    };
    auto s = image::push_from_store(prepare_root(global), flags->name, flags->dest, flags->registry,
                                    log, flags->compression);
    out << s.tag << ": digest: " << s.digest << " size: " << s.size << "\n";
  });
}

}  // namespace mybuild::cli
