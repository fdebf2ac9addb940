// Resource limits of a RUN step (--ulimit): docker's names for setrlimit(2) resources and its
// NAME=SOFT[:HARD] spelling (github.com/docker/go-units ulimit.go). The child's side,
// apply_rlimits (sandbox/internal/child_ops.h), lives in rlimits.cc too and is called from
// child.cc before the step's user and capabilities are set. Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "sandbox/spec.h"

namespace mybuild::sandbox {

// "nofile" -> RLIMIT_NOFILE; nullopt for a name docker does not know.
std::optional<int> rlimit_resource(std::string_view name);
// RLIMIT_NOFILE -> "nofile"; "?" for a resource without a docker name.
std::string_view rlimit_name(int resource);

// "nofile=512:1024", "core=0" (HARD = SOFT when absent), "memlock=-1" (-1: unlimited). Values
// are whole numbers in the resource's own unit (bytes, seconds, count). Throws Error(kUsage)
// saying what is wrong with `text` (unknown name, a value that is not a number, soft above
// hard); the caller adds which flag it came from.
Rlimit parse_ulimit(std::string_view text);

// "nofile=512:1024", with "unlimited" for kRlimitUnlimited.
std::string describe(const Rlimit& limit);

}  // namespace mybuild::sandbox
