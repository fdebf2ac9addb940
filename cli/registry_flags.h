// The registry flags of every command that reaches a registry (build, pull, push), defined
// once: --insecure-registry HOST[:PORT]|CIDR and --registry-mirror URL|HOST (repeatable, as
// dockerd's daemon flags, per command here since mybuild has no daemon) and
// --max-concurrent-transfers N. They add to / override mybuild's config file
// (image/registry_options.h says how).
#pragma once

#include <CLI/CLI.hpp>

#include "image/registry_options.h"

namespace mybuild::cli {

// Adds the flags to `cmd`, writing into `flags` (which must outlive the parse).
void add_registry_flags(CLI::App* cmd, image::RegistryFlags& flags);

}  // namespace mybuild::cli
