// `mybuild doctor`'s network check: which network a default RUN step gets here (sandbox/slirp.h),
// probed for real: slirp4netns is started for a throwaway namespace and must report ready.
#include "common/error.h"
#include "sandbox/doctor.h"
#include "sandbox/network.h"
#include "sandbox/slirp.h"

namespace mybuild::sandbox {

DoctorCheck check_network() {
  DoctorCheck c{"RUN network"};
  const auto& slirp = find_slirp4netns();
  std::optional<std::string> why =
      slirp ? probe_slirp4netns(*slirp) : "slirp4netns was not found on PATH";
  if (why) {
    c.state = DoctorCheck::State::kWarning;
    c.detail =
        "default RUN steps share the host's network namespace (they reach services on "
        "the host's 127.0.0.1 and its abstract sockets): " +
        *why;
    c.fix = network_fix(*why);
    return c;
  }
  c.detail = "default: a private network namespace per step behind " + slirp->string() +
             " (outbound only; the host's loopback is out of reach; host-gateway is " +
             host_gateway_address(NetworkMode::kDefault) +
             "); RUN --network=host shares the host's namespace";
  return c;
}

}  // namespace mybuild::sandbox
