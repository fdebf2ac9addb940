// `mybuild doctor`: what this host allows the sandbox to do, probed for real (a mount is tried,
// not guessed from a kernel version), each with the exact fix when it is missing. Rootless
// setup is where users of other builders get stuck first, so the fixes are copy-paste commands.
#pragma once

#include <string>
#include <vector>

namespace mybuild::sandbox {

struct DoctorCheck {
  enum class State { kOk, kWarning, kMissing };
  std::string name;  // "overlayfs", "cgroups", ...
  State state = State::kOk;
  std::string detail{};  // what was found
  std::string fix{};     // empty when nothing to do
};

// The network a default RUN step gets (sandbox/doctor_network.cc); throws only on a broken host.
DoctorCheck check_network();

// Runs every probe; never throws (a probe that cannot run reports kMissing with the reason).
std::vector<DoctorCheck> run_doctor();

}  // namespace mybuild::sandbox
