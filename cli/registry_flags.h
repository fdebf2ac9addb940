// The registry flags `pull` and `push` share (docker's daemon options, per command here since
// mybuild has no daemon): --insecure-registry HOST[:PORT] and --registry-mirror URL.
#pragma once

#include <CLI/CLI.hpp>

#include "builder/transfer_commands.h"

namespace mybuild::cli {

inline void add_registry_flags(CLI::App* cmd, builder::RegistryFlags& flags) {
  cmd->add_option("--insecure-registry", flags.insecure_registries,
                  "Registry (host:port) that may be reached over plain HTTP (repeatable)")
      ->allow_extra_args(false);
  cmd->add_option("--registry-mirror", flags.mirrors,
                  "Pull mirror for docker.io, tried before it (repeatable)")
      ->allow_extra_args(false);
}

}  // namespace mybuild::cli
