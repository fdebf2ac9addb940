// Which registries may be reached over plain HTTP, decided as dockerd decides it
// (moby registry/config.go, isSecureIndex): loopback registries always (localhost, 127.0.0.0/8,
// ::1), and those the user lists as insecure. An entry is either a domain ("host" or
// "host:port", matched exactly: "myhost" does not cover "myhost:5000", as in docker) or a CIDR
// ("10.0.0.0/8", "fd00::/8"), which covers a registry whose host is an address in it or a name
// resolving to one. Plain HTTP is still only a fallback: the client tries HTTPS first.
// Pure functions except for the name lookup; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mybuild::registry {

// True when `domain` ("host[:port]", IPv6 literals bracketed) may use plain HTTP given the
// user's `insecure` entries. A host name is resolved (getaddrinfo) only when a CIDR entry
// exists and no domain entry matched; a name that does not resolve matches no CIDR.
bool plain_http_allowed(std::string_view domain, const std::vector<std::string>& insecure);

// True when `entry` is a CIDR ("a.b.c.d/n" or "v6/n") with a prefix length in range.
bool is_cidr(std::string_view entry);

}  // namespace mybuild::registry
