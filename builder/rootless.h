// The CLI's door to the rootless bootstrap (sandbox/rootless.h): cli/ may include only builder/
// and common/ (STYLE.md §1). An unprivileged mybuild calls enter_rootless_if_needed() once,
// early, for every command that touches the store or runs steps.
#pragma once

#include <optional>
#include <string_view>

namespace mybuild::builder {

// As root, or already inside: nullopt, carry on. Unprivileged: prints the setup's warnings
// (no subuid range, no newuidmap) once and forks into a user namespace; returns nullopt in the
// child (uid 0 inside, carry on) and the child's exit code in the parent, which must then exit
// with it and do nothing else. Throws Error(kSandbox) when the namespace cannot be made, and
// Error(kUsage) for an unprivileged `isolation` (--isolation) other than auto or rootless: the
// other modes need root.
std::optional<int> enter_rootless_if_needed(std::string_view isolation = "auto");

// Whether this process is the inside of a rootless mybuild (for the state root's default).
bool running_rootless();

}  // namespace mybuild::builder
