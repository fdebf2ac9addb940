// The target platforms of one build: `--platform linux/amd64,linux/arm64` as buildx takes it (a
// comma-separated list; each entry as common::Platform::parse reads it). One entry keeps the
// single-manifest output; several make one image index with a manifest per platform.
#pragma once

#include <string_view>
#include <vector>

#include "common/descriptor.h"

namespace mybuild::builder {

// Empty `list`: the host's platform alone. Throws Error(kUsage) for an empty entry ("a,,b"), a
// malformed one (naming it) or the same platform twice (after aliases: amd64 = x86_64).
std::vector<common::Platform> parse_platform_list(std::string_view list);

}  // namespace mybuild::builder
