// `mybuild pull [--platform P] NAME[:TAG|@DIGEST]`, with docker pull's output.
#include <memory>
#include <mutex>
#include <ostream>
#include <string>

#include "cli/commands.h"
#include "cli/registry_flags.h"
#include "image/transfer_commands.h"

namespace mybuild::cli {
namespace {

struct PullFlags {
  std::string reference;
  std::string platform;
  image::RegistryFlags registry;
};

}  // namespace

void add_pull_command(CLI::App& app, GlobalOptions& global, std::ostream& out) {
  auto flags = std::make_shared<PullFlags>();
  auto* cmd = app.add_subcommand("pull", "Pull an image from a registry into the local store");
  cmd->add_option("reference", flags->reference, "NAME[:TAG|@DIGEST]")->required();
  cmd->add_option("--platform", flags->platform,
                  "Platform (os/arch[/variant]); default: this host");
  add_registry_flags(cmd, flags->registry);
  cmd->callback([flags, &global, &out] {
    std::mutex mu;  // layer lines come from the download threads
    auto log = [&](std::string_view line) {
      std::lock_guard lk(mu);
      out << line << "\n" << std::flush;
    };
    auto s = image::pull_to_store(prepare_root(global), flags->reference, flags->platform,
                                  flags->registry, log);
    out << "Digest: " << s.digest << "\n";
    out << "Status: " << (s.up_to_date ? "Image is up to date for " : "Downloaded newer image for ")
        << s.familiar << "\n";
    out << s.name << "\n";
  });
}

}  // namespace mybuild::cli
