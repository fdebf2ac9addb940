// The default RUN network (NetworkMode::kDefault): a private network namespace given outbound
// connectivity by slirp4netns (Debian package slirp4netns), user-mode networking made for
// rootless containers, started per step the way newuidmap is used: an optional helper found on
// PATH, never linked. It attaches a tap device to the step's namespace from the outside and
// relays the step's TCP/UDP through ordinary sockets of the host's namespace, so the step needs
// no bridge, no veth, no iptables and no privilege over the host's network, rootful or rootless.
//
// How slirp4netns is run (`slirp4netns --help`, v1.2.0):
//   --configure             tap0 10.0.2.100/24, default route via 10.0.2.2, lo up
//   --disable-host-loopback 10.0.2.2 does not lead to the host's 127.0.0.1 (the point of it all)
//   --mtu=65520             as rootless podman and docker: fewer, larger frames through the relay
//   --enable-sandbox --enable-seccomp   where they work (slirp4netns parses untrusted traffic):
//                           its own mount namespace, capabilities dropped, a syscall filter. When
//                           slirp4netns fails to start with them (its sandbox wants
//                           /etc/resolv.conf under /etc or /run) but starts without, it is run
//                           without from then on in this process, with a warning. (Measured: they
//                           cost nothing noticeable next to its start.)
//   --ready-fd              the step's process execs only once the interface is up
//   --exit-fd               a pipe whose write end only mybuild holds: when mybuild dies, even by
//                           SIGKILL, the kernel closes it and slirp4netns exits (its poll sees
//                           POLLHUP); PR_SET_PDEATHSIG(SIGKILL) is set too (it fires when the
//                           spawning *thread* ends: sandbox::run holds its thread for the whole
//                           step, so that is never early). slirp4netns itself
//                           does NOT exit when the namespace's last process does (its tap fd keeps
//                           the namespace alive), so SlirpNetwork kills it when the step ends.
//
// Cost (bench/sandbox, 2 loaded cores): start to ready ~28 ms, overlapped with PID 1 assembling
// the rootfs; kill to reaped ~20 ms (the kernel unregistering tap0 as slirp4netns exits).
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>

#include "common/cancel.h"
#include "common/unique_fd.h"
#include "sandbox/spec.h"

namespace mybuild::sandbox {

// slirp4netns on PATH (looked up once per process), or nullopt.
const std::optional<std::filesystem::path>& find_slirp4netns();

// The network a step asking for `requested` gets on a host where slirp4netns works (or not).
// Where it does not (not installed, or no usable /dev/net/tun) kDefault falls back to kHost:
// that is what every RUN had before mybuild used slirp4netns, so builds that need the network
// (apt-get, pip, go mod download) keep working; an isolated namespace would be safer but would
// break them with DNS errors that do not say why. The price is isolation, so the fallback is
// loud: a warning once per process that names the fix, and `mybuild doctor` reports it. A
// build that must not share the host's network asks for kNone.
NetworkMode effective_network(NetworkMode requested, bool slirp_works);
// The same for this host: the first call for kDefault checks once per process that slirp4netns
// is on PATH and /dev/net/tun opens, and warns when falling back.
NetworkMode effective_network(NetworkMode requested);

// Starts slirp4netns for a throwaway network namespace and waits for it: nullopt when it works,
// else what failed ("open("/dev/net/tun"): Permission denied ...").
std::optional<std::string> probe_slirp4netns(const std::filesystem::path& binary);
// The fix for a `why` of probe_slirp4netns (or "slirp4netns was not found on PATH").
std::string network_fix(const std::string& why);

// Owns one running slirp4netns serving the network namespace of `target`. Destruction kills it
// (SIGKILL) and reaps it; it never outlives its owner, nor mybuild (see the header comment).
class SlirpNetwork {
 public:
  // Starts slirp4netns for the namespace of `target` (a process that already has it); returns
  // at once (see wait_ready). Throws Error(kSandbox) when it cannot be started at all.
  static SlirpNetwork start(const std::filesystem::path& binary, pid_t target);

  SlirpNetwork(SlirpNetwork&& other) noexcept;
  SlirpNetwork& operator=(SlirpNetwork&&) = delete;
  SlirpNetwork(const SlirpNetwork&) = delete;
  ~SlirpNetwork();

  // Blocks until tap0 is configured. Throws Error(kSandbox) quoting slirp4netns's output when it
  // exits or is not ready within 10 s, Error(kCancelled) on `cancel`.
  void wait_ready(common::CancelToken& cancel, const std::string& description);

  pid_t pid() const { return pid_; }

 private:
  SlirpNetwork(pid_t pid, common::UniqueFd ready, common::UniqueFd exit_write, common::UniqueFd log,
               bool sandboxed, std::filesystem::path binary, pid_t target);
  void stop() noexcept;

  pid_t pid_ = -1;
  common::UniqueFd ready_;       // read end of --ready-fd
  common::UniqueFd exit_write_;  // write end of --exit-fd
  common::UniqueFd log_;         // slirp4netns's stdout and stderr (a memfd)
  bool sandboxed_ = true;        // started with --enable-sandbox --enable-seccomp
  std::filesystem::path binary_;
  pid_t target_ = -1;
};

}  // namespace mybuild::sandbox
