// The files a step sees as /etc/hosts, /etc/resolv.conf and /etc/hostname. They are generated
// per run and bind-mounted over the rootfs's copies, so whatever the step writes to them stays out
// of the layer (BuildKit does the same).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "sandbox/spec.h"

namespace mybuild::sandbox {

// localhost (v4 and v6) and the step's hostname, then one "ip\thost" line per extra entry in the
// order given (docker's --add-host lines come after its defaults too).
std::string generate_hosts(const std::string& hostname,
                           const std::vector<HostEntry>& extra_hosts = {});

// docker's --add-host value: HOST:IP or HOST=IP, the IP an IPv4 or IPv6 address, optionally in
// brackets ("h:[::1]"); HOST:IP splits at the first ':', so "h:::1" is IPv6 too. The special IP
// "host-gateway" becomes 127.0.0.1 (see network.cc). Throws Error(kUsage) saying what is wrong
// with `text`; the caller adds which flag it came from.
HostEntry parse_host_entry(std::string_view text);
// The host's resolv.conf when the step shares a network; with kNone there is no one to ask, so
// the file is empty (a lookup fails fast rather than timing out on an unreachable server).
std::string generate_resolv_conf(NetworkMode mode, const std::string& host_resolv_conf);

}  // namespace mybuild::sandbox
