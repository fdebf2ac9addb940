#include "sandbox/network.h"

#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "sandbox/internal/child_ops.h"

namespace mybuild::sandbox {

std::string generate_hosts(const std::string& hostname) {
  return "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\t" + hostname +
         "\n";
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
