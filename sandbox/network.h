// The files a step sees as /etc/hosts, /etc/resolv.conf and /etc/hostname. They are generated
// per run and bind-mounted over the rootfs's copies, so whatever the step writes to them stays out
// of the layer (BuildKit does the same).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "sandbox/spec.h"

namespace mybuild::sandbox {

// What --add-host's "host-gateway" stands for until the step runs: HostEntry::ip holds this
// word, and generate_hosts writes the address host_gateway_address gives for the step's network.
inline constexpr std::string_view kHostGateway = "host-gateway";

// localhost (v4 and v6) and the step's hostname, then one "ip\thost" line per extra entry in the
// order given (docker's --add-host lines come after its defaults too); an entry whose ip is
// kHostGateway gets `host_gateway` instead.
std::string generate_hosts(const std::string& hostname,
                           const std::vector<HostEntry>& extra_hosts = {},
                           const std::string& host_gateway = "127.0.0.1");

// The host as a step on `effective` network (sandbox/slirp.h effective_network) reaches it,
// docker's host-gateway. kHost: 127.0.0.1, the step shares the host's loopback. kDefault (a
// private namespace behind slirp4netns, started with --disable-host-loopback so that 10.0.2.2
// does NOT lead to the host's 127.0.0.1): the host's first non-loopback IPv4 address, which
// slirp4netns connects to from the host's namespace. That is what docker's bridge gateway gives:
// services listening on all interfaces are reachable, services bound to 127.0.0.1 only are not.
// kNone: 127.0.0.1 (nothing is reachable anyway, as in docker).
std::string host_gateway_address(NetworkMode effective);

// docker's --add-host value: HOST:IP or HOST=IP, the IP an IPv4 or IPv6 address, optionally in
// brackets ("h:[::1]"); HOST:IP splits at the first ':', so "h:::1" is IPv6 too. The special IP
// "host-gateway" is kept as kHostGateway, resolved per run (host_gateway_address). Throws
// Error(kUsage) saying what is wrong with `text`; the caller adds which flag it came from.
HostEntry parse_host_entry(std::string_view text);
// The step's resolv.conf for its `effective` network. kHost: the host's file as it is. kNone:
// empty, there is no one to ask (a lookup fails fast rather than timing out). kDefault (behind
// slirp4netns): the host's file without the nameservers a private namespace cannot reach
// (loopback ones such as systemd-resolved's 127.0.0.53, and IPv6 ones: slirp4netns runs without
// IPv6), as docker does for its bridge; when none is left, slirp4netns's DNS forwarder 10.0.2.3
// (which asks the host's resolvers from the host's namespace, loopback ones included).
std::string generate_resolv_conf(NetworkMode effective, const std::string& host_resolv_conf);

}  // namespace mybuild::sandbox
