#include "sandbox/network.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>

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

std::string generate_hosts(const std::string& hostname, const std::vector<HostEntry>& extra_hosts,
                           const std::string& host_gateway) {
  std::string hosts =
      "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\t" + hostname +
      "\n";
  for (const auto& e : extra_hosts) {
    hosts += (e.ip == kHostGateway ? host_gateway : e.ip) + "\t" + e.host + "\n";
  }
  return hosts;
}

std::string host_gateway_address(NetworkMode effective) {
  if (effective != NetworkMode::kDefault) return "127.0.0.1";
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return "10.0.2.2";
  std::string found;
  for (ifaddrs* a = list; a != nullptr && found.empty(); a = a->ifa_next) {
    if (a->ifa_addr == nullptr || a->ifa_addr->sa_family != AF_INET) continue;
    if ((a->ifa_flags & IFF_UP) == 0 || (a->ifa_flags & IFF_LOOPBACK) != 0) continue;
    char text[INET_ADDRSTRLEN] = {};
    const auto* in = reinterpret_cast<const sockaddr_in*>(a->ifa_addr);
    if (::inet_ntop(AF_INET, &in->sin_addr, text, sizeof(text)) != nullptr) found = text;
  }
  ::freeifaddrs(list);
  // No non-loopback address: the host has no network to offer; slirp4netns's gateway at least
  // answers (and refuses, host loopback being disabled) instead of a lookup failing.
  return found.empty() ? "10.0.2.2" : found;
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
  // docker maps host-gateway to its bridge's gateway, the host as a container reaches it. Which
  // address that is here depends on the step's network (host_gateway_address), known only when
  // it runs, so the word is kept and generate_hosts replaces it.
  if (entry.ip == kHostGateway) return entry;
  if (!is_ip_address(entry.ip)) throw bad("'" + entry.ip + "' is not an IPv4 or IPv6 address");
  return entry;
}

std::string generate_resolv_conf(NetworkMode effective, const std::string& host_resolv_conf) {
  if (effective == NetworkMode::kNone) return "";
  if (effective == NetworkMode::kHost) return host_resolv_conf;
  std::string out;
  bool have_server = false;
  std::istringstream lines(host_resolv_conf);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::string key, server;
    words >> key >> server;
    if (key == "nameserver") {
      in_addr v4{};
      if (::inet_pton(AF_INET, server.c_str(), &v4) != 1) continue;  // IPv6 or junk
      if ((ntohl(v4.s_addr) >> 24) == 127) continue;                 // the host's loopback
      have_server = true;
    }
    out += line + "\n";
  }
  if (!have_server) out = "nameserver 10.0.2.3\n" + out;
  return out;
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
