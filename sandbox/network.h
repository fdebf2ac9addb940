// The files a step sees as /etc/hosts, /etc/resolv.conf and /etc/hostname. They are generated
// per run and bind-mounted over the rootfs's copies, so whatever the step writes to them stays out
// of the layer (BuildKit does the same).
#pragma once

#include <string>

#include "sandbox/spec.h"

namespace mybuild::sandbox {

std::string generate_hosts(const std::string& hostname);
// The host's resolv.conf when the step shares a network; with kNone there is no one to ask, so
// the file is empty (a lookup fails fast rather than timing out on an unreachable server).
std::string generate_resolv_conf(NetworkMode mode, const std::string& host_resolv_conf);

}  // namespace mybuild::sandbox
