// Capabilities a RUN step keeps: Docker's default set (moby oci/caps/defaults.go), as a bit
// mask indexed by capability number. Everything else is dropped from all five sets.
#pragma once

#include <cstdint>

namespace mybuild::sandbox {

uint64_t default_capabilities();
// The highest capability this kernel knows (/proc/sys/kernel/cap_last_cap).
int last_capability();

}  // namespace mybuild::sandbox
