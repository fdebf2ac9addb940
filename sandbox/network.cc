#include "sandbox/network.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/error.h"
#include "sandbox/internal/child_ops.h"

namespace mybuild::sandbox {
namespace {

bool is_ip_address(const std::string& text) {
  unsigned char buf[sizeof(in6_addr)];
  return ::inet_pton(AF_INET, text.c_str(), buf) == 1 ||
         ::inet_pton(AF_INET6, text.c_str(), buf) == 1;
}

// A name that cannot break the hosts file's "ip<TAB>name" line or add a second name or comment.
bool is_host_name(std::string_view host) {
  if (host.empty()) return false;
  for (char c : host) {
    if (static_cast<unsigned char>(c) <= ' ' || c == '#' || c == 0x7f) return false;
  }
  return true;
}

}  // namespace

std::string generate_hosts(const std::string& hostname, const std::vector<HostEntry>& extra_hosts) {
  std::string hosts =
      "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\t" + hostname +
      "\n";
  for (const auto& e : extra_hosts) hosts += e.ip + "\t" + e.host + "\n";
  return hosts;
}

HostEntry parse_host_entry(std::string_view text) {
  auto bad = [&](const std::string& why) {
    // Built with append: GCC 12 gives a false -Wrestrict on `"'" + std::string(text)`.
    std::string message("'");
    message.append(text).append("': ").append(why).append(" (want HOST:IP, e.g. db:10.0.0.5)");
    return common::Error(common::ErrorKind::kUsage, message);
  };
  // docker (opts.ValidateExtraHost) tries '=' first: "h=::1" needs no brackets.
  size_t sep = text.find('=');
  if (sep == std::string_view::npos) sep = text.find(':');
  if (sep == std::string_view::npos) throw bad("missing ':' or '=' between host and IP");
  HostEntry entry{std::string(text.substr(0, sep)), std::string(text.substr(sep + 1))};
  if (entry.host.empty()) throw bad("empty host name");
  if (!is_host_name(entry.host))
    throw bad("host name '" + entry.host + "' has a space, '#' or control character");
  if (entry.ip.size() >= 2 && entry.ip.front() == '[' && entry.ip.back() == ']') {
    entry.ip = entry.ip.substr(1, entry.ip.size() - 2);
  }
  if (entry.ip.empty()) throw bad("empty IP address");
  // docker maps host-gateway to its bridge's gateway, the host as a container reaches it.
  // mybuild has no daemon and no bridge: a RUN step on the default (or host) network shares the
  // host's network namespace, where the host is 127.0.0.1. With --network=none nothing is
  // reachable whatever the address, as in docker.
  if (entry.ip == "host-gateway") entry.ip = "127.0.0.1";
  if (!is_ip_address(entry.ip)) throw bad("'" + entry.ip + "' is not an IPv4 or IPv6 address");
  return entry;
}

std::string generate_resolv_conf(NetworkMode mode, const std::string& host_resolv_conf) {
  if (mode == NetworkMode::kNone) return "";
  return host_resolv_conf;
}

namespace internal {

// Child side: a new network namespace starts with `lo` down; most software expects it up.
int bring_up_loopback() {
  int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return errno;
  ifreq req{};
  std::memcpy(req.ifr_name, "lo", 3);
  int rc = 0;
  if (::ioctl(s, SIOCGIFFLAGS, &req) != 0) {
    rc = errno;
  } else {
    req.ifr_flags = static_cast<short>(req.ifr_flags | IFF_UP | IFF_RUNNING);
    if (::ioctl(s, SIOCSIFFLAGS, &req) != 0) rc = errno;
  }
  ::close(s);
  return rc;
}

}  // namespace internal
}  // namespace mybuild::sandbox
