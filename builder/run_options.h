// The CLI's door to the sandbox's parsers of `build --add-host` and `--ulimit` values: cli/ may
// include only builder/ and common/ (STYLE.md §1), so the builder passes them through unchanged
// (as doctor.h does run_doctor). Both throw Error(kUsage) quoting the value; the caller names
// the flag.
#pragma once

#include "sandbox/network.h"
#include "sandbox/rlimits.h"
#include "sandbox/spec.h"

namespace mybuild::builder {

using ExtraHost = sandbox::HostEntry;
using Ulimit = sandbox::Rlimit;
using sandbox::parse_host_entry;  // "db:10.0.0.5", "db=::1", "db:[::1]", "h:host-gateway"
using sandbox::parse_ulimit;      // "nofile=512:1024", "core=0", "memlock=-1"

}  // namespace mybuild::builder
