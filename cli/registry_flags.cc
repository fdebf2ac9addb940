#include "cli/registry_flags.h"

#include <string>

namespace mybuild::cli {

void add_registry_flags(CLI::App* cmd, image::RegistryFlags& flags) {
  // One value per use (docker's --insecure-registry a --insecure-registry b), so that a
  // positional argument after the flag stays positional.
  cmd->add_option("--insecure-registry", flags.insecure_registries,
                  "Registry (host[:port] or CIDR) that may be reached over plain HTTP "
                  "(repeatable; loopback ones always may)")
      ->allow_extra_args(false);
  cmd->add_option("--registry-mirror", flags.mirrors,
                  "Pull mirror for docker.io (URL or host[:port]), tried before it in order "
                  "(repeatable)")
      ->allow_extra_args(false);
  // Checked here so that 0 is a usage error (exit 2) before anything starts.
  cmd->add_option_function<int>(
         "--max-concurrent-transfers",
         [&flags](const int& n) { flags.max_concurrent_transfers = n; },
         "Blobs pulled or pushed at once (default 4, or the config file's)")
      ->check(CLI::Range(1, 1 << 16).description("N >= 1"))
      ->type_name("N");
}

}  // namespace mybuild::cli
