// Loopback TCP helpers for the suite's servers (git daemon, sshd).
#pragma once

namespace mybuild::build_testing {

// A loopback port nobody listens on now (the kernel's pick for port 0).
int unused_loopback_port();
// Whether something accepts connections on 127.0.0.1:port.
bool accepts_connections(int port);

}  // namespace mybuild::build_testing
