#include <memory>
#include <ostream>
#include <string>

#include "cli/commands.h"
#include "image/import.h"

namespace mybuild::cli {

namespace {

struct ImportFlags {
  std::string tarball;
  std::string ref;
  image::ImportOptions options;
};

}  // namespace

void add_import_command(CLI::App& app, GlobalOptions& global, std::ostream& out) {
  auto flags = std::make_shared<ImportFlags>();
  auto* cmd = app.add_subcommand(
      "import", "Make a single-layer image from a root filesystem tarball (as docker import)");
  cmd->add_option("tarball", flags->tarball, "Root filesystem tar (plain, gzip or zstd)")
      ->required();
  cmd->add_option("reference", flags->ref, "Name to tag the image with (e.g. busybox:latest)")
      ->required();
  cmd->add_option("--compression", flags->options.compression, "Layer compression")
      ->check(CLI::IsMember({"gzip", "zstd", "none"}));
  cmd->add_option("--compression-level", flags->options.level, "Compression level");
  cmd->add_option("--platform", flags->options.platform, "Image platform (os/arch[/variant])");
  cmd->add_option("-m,--message", flags->options.message, "Commit message for the history");
  cmd->callback([flags, &global, &out] {
    auto result =
        image::import_rootfs(prepare_root(global), flags->tarball, flags->ref, flags->options);
    // docker import prints the image id (the config digest).
    out << result.config_digest << "\n";
  });
}

}  // namespace mybuild::cli
