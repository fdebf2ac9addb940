#include "builder/ssh/unix_socket.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cerrno>
#include <cstring>

#include "builder/ssh/agent_protocol.h"
#include "common/error.h"

namespace mybuild::builder::ssh {

using common::Error;
using common::ErrorKind;
using common::UniqueFd;

namespace {

sockaddr_un unix_address(const std::filesystem::path& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.native().size() >= sizeof addr.sun_path) {
    throw Error(ErrorKind::kUsage, "socket path too long for a Unix socket: " + path.string());
  }
  std::memcpy(addr.sun_path, path.c_str(), path.native().size() + 1);
  return addr;
}

bool recv_exact(int fd, int wake_fd, char* out, size_t n) {
  while (n > 0) {
    if (!wait_readable(fd, wake_fd)) return false;
    ssize_t got = ::recv(fd, out, n, 0);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    out += got;
    n -= static_cast<size_t>(got);
  }
  return true;
}

}  // namespace

UniqueFd connect_unix(const std::filesystem::path& path, const std::string& what) {
  sockaddr_un addr = unix_address(path);
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) common::throw_errno("socket", path.string());
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    throw Error(ErrorKind::kNotFound,
                what + ": connect(" + path.string() + "): " + std::strerror(errno));
  }
  return fd;
}

UniqueFd listen_unix(const std::filesystem::path& path) {
  sockaddr_un addr = unix_address(path);
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) common::throw_errno("socket", path.string());
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    common::throw_errno("bind", path.string());
  }
  if (::listen(fd.get(), 16) != 0) common::throw_errno("listen", path.string());
  return fd;
}

bool send_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

bool wait_readable(int fd, int wake_fd) {
  pollfd fds[2] = {{fd, POLLIN, 0}, {wake_fd, POLLIN, 0}};
  while (true) {
    int rc = ::poll(fds, wake_fd >= 0 ? 2 : 1, -1);
    if (rc < 0 && errno == EINTR) continue;
    if (rc < 0) return false;
    if (wake_fd >= 0 && fds[1].revents != 0) return false;
    if (fds[0].revents != 0) return true;
  }
}

std::optional<std::string> recv_agent_message(int fd, int wake_fd) {
  unsigned char len_bytes[4];
  if (!recv_exact(fd, wake_fd, reinterpret_cast<char*>(len_bytes), 4)) return std::nullopt;
  const uint32_t len = (uint32_t{len_bytes[0]} << 24) | (uint32_t{len_bytes[1]} << 16) |
                       (uint32_t{len_bytes[2]} << 8) | len_bytes[3];
  if (len == 0 || len > kAgentMaxMessage) return std::nullopt;
  std::string body(len, '\0');
  if (!recv_exact(fd, wake_fd, body.data(), len)) return std::nullopt;
  return body;
}

}  // namespace mybuild::builder::ssh
