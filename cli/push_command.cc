// `mybuild push NAME[:TAG] [DESTINATION]`, with docker push's output. Without DESTINATION the
// image goes to the registry and repository its name says; with it (as podman push SOURCE DEST)
// to DESTINATION, without tagging it locally.
#include <memory>
#include <mutex>
#include <ostream>
#include <string>

#include "builder/transfer_commands.h"
#include "cli/commands.h"
#include "cli/registry_flags.h"

namespace mybuild::cli {
namespace {

struct PushFlags {
  std::string name;
  std::string dest;
  builder::RegistryFlags registry;
};

}  // namespace

void add_push_command(CLI::App& app, GlobalOptions& global, std::ostream& out) {
  auto flags = std::make_shared<PushFlags>();
  auto* cmd = app.add_subcommand("push", "Push an image from the local store to a registry");
  cmd->add_option("name", flags->name, "Local image: NAME[:TAG] or image ID")->required();
  cmd->add_option("destination", flags->dest, "Where to push it (REGISTRY/REPOSITORY[:TAG])");
  add_registry_flags(cmd, flags->registry);
  cmd->callback([flags, &global, &out] {
    std::mutex mu;  // layer lines come from the upload threads
    auto log = [&](std::string_view line) {
      std::lock_guard lk(mu);
      out << line << "\n" << std::flush;
    };
    auto s = builder::push_from_store(resolve_root(global), flags->name, flags->dest,
                                      flags->registry, log);
    out << s.tag << ": digest: " << s.digest << " size: " << s.size << "\n";
  });
}

}  // namespace mybuild::cli
