#include "sandbox/slirp.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "common/io.h"
#include "common/log.h"

extern char** environ;

namespace mybuild::sandbox {
namespace {

using common::Error;
using common::ErrorKind;
using common::UniqueFd;

constexpr auto kReadyTimeout = std::chrono::seconds(10);
constexpr int kSlirpPollMs = 50;

// Cleared (for the rest of the process) the first time slirp4netns fails to start with its
// own sandbox and seccomp filter but starts without them.
std::atomic<bool> g_sandbox_works{true};

struct Spawned {
  pid_t pid = -1;
  UniqueFd ready, exit_write;
};

UniqueFd open_or_throw(const std::filesystem::path& path, int flags) {
  UniqueFd fd(::open(path.c_str(), flags | O_CLOEXEC, 0600));
  if (!fd) common::throw_errno("open", path.string());
  return fd;
}

// Between clone and execve: raw syscalls only (another thread may hold malloc's locks; see
// child.cc). Dies with its parent thread (PR_SET_PDEATHSIG), and checks the parent did not die
// before that was set.
[[noreturn]] void exec_child(pid_t parent, char* const* argv, int devnull, int log, int ready_w,
                             int exit_r) {
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0 || ::getppid() != parent) ::_exit(127);
  if (::dup2(devnull, 0) < 0 || ::dup2(log, 1) < 0 || ::dup2(log, 2) < 0) ::_exit(127);
  if (::fcntl(ready_w, F_SETFD, 0) != 0 || ::fcntl(exit_r, F_SETFD, 0) != 0) ::_exit(127);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ::execve(argv[0], argv, environ);
  ::_exit(127);
}

Spawned spawn(const std::filesystem::path& binary, pid_t target, int log_fd, bool sandboxed) {
  auto [ready_r, ready_w] = common::make_pipe("slirp4netns");
  auto [exit_r, exit_w] = common::make_pipe("slirp4netns");
  // A second start (without the sandbox options) writes the log afresh from offset 0.
  if (::ftruncate(log_fd, 0) != 0 || ::lseek(log_fd, 0, SEEK_SET) != 0) {
    common::throw_errno("ftruncate", "slirp4netns log");
  }
  UniqueFd devnull = open_or_throw("/dev/null", O_RDONLY);
  std::vector<std::string> args = {binary.string(), "--configure", "--mtu=65520",
                                   "--disable-host-loopback"};
  if (sandboxed) {
    args.insert(args.end(), {"--enable-sandbox", "--enable-seccomp"});
  }
  args.push_back("--ready-fd=" + std::to_string(ready_w.get()));
  args.push_back("--exit-fd=" + std::to_string(exit_r.get()));
  args.push_back(std::to_string(target));
  args.push_back("tap0");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  pid_t parent = ::getpid();
  long pid = ::syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
  if (pid < 0) common::throw_errno("clone", binary.string());
  if (pid == 0) {
    exec_child(parent, argv.data(), devnull.get(), log_fd, ready_w.get(), exit_r.get());
  }
  return {static_cast<pid_t>(pid), std::move(ready_r), std::move(exit_w)};
}

std::string log_tail(int log_fd) {
  std::string text(64 * 1024, '\0');
  ssize_t n = ::pread(log_fd, text.data(), text.size(), 0);
  text.resize(n > 0 ? static_cast<size_t>(n) : 0);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  if (text.size() > 400) text = "..." + text.substr(text.size() - 400);
  return text.empty() ? "no output" : text;
}

// A process alone in a new network namespace (and, when not uid 0, a user namespace owning it,
// as `mybuild doctor` run by a user needs), killed and reaped on destruction. Cloned raw, as in
// spawn: only raw syscalls run in it.
class NamespaceHolder {
 public:
  NamespaceHolder() {
    auto [ready_r, ready_w] = common::make_pipe("slirp4netns");
    pid_t parent = ::getpid();
    int flags = CLONE_NEWNET | (::geteuid() != 0 ? CLONE_NEWUSER : 0);
    long pid = ::syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
    if (pid < 0) common::throw_errno("clone", "network probe");
    if (pid == 0) {
      if (::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0 || ::getppid() != parent) ::_exit(1);
      int err = ::unshare(flags) == 0 ? 0 : errno;
      if (::write(ready_w.get(), &err, sizeof(err)) != sizeof(err)) ::_exit(1);
      ::pause();
      ::_exit(0);
    }
    pid_ = static_cast<pid_t>(pid);
    ready_w.reset();
    if (::read(ready_r.get(), &err_, sizeof(err_)) != sizeof(err_)) err_ = EIO;
  }
  ~NamespaceHolder() {
    ::kill(pid_, SIGKILL);
    while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
    }
  }
  NamespaceHolder(const NamespaceHolder&) = delete;
  NamespaceHolder& operator=(const NamespaceHolder&) = delete;
  pid_t pid() const { return pid_; }
  int error() const { return err_; }

 private:
  pid_t pid_ = -1;
  int err_ = 0;
};

// Whether slirp4netns can serve a step here: nullopt when it looks so, else why not. Checked
// once per process, cheaply: the binary, and /dev/net/tun, which it opens with our credentials
// (a rootless mybuild cannot where the node is 0600, as on some hosts; Debian's udev makes it
// 0666). Other failures surface as the step's error quoting slirp4netns; `mybuild doctor`
// starts it for real (probe_slirp4netns).
const std::optional<std::string>& slirp_unusable() {
  static const std::optional<std::string> why = []() -> std::optional<std::string> {
    if (!find_slirp4netns()) return "slirp4netns was not found on PATH";
    UniqueFd tun(::open("/dev/net/tun", O_RDWR | O_CLOEXEC));
    if (!tun) return std::string("open /dev/net/tun: ") + std::strerror(errno);
    return std::nullopt;
  }();
  return why;
}

void warn_fallback_once(const std::string& why) {
  static std::once_flag once;
  std::call_once(once, [&] {
    common::log::warn("RUN steps share the host's network namespace (" + why +
                      "), so a step can reach services listening on the host's 127.0.0.1 and "
                      "its abstract UNIX sockets; fix: " +
                      network_fix(why));
  });
}

}  // namespace

std::string network_fix(const std::string& why) {
  if (why.find("not found") != std::string::npos) return "apt-get install slirp4netns";
  if (why.find("/dev/net/tun") != std::string::npos) {
    return "modprobe tun; chmod 0666 /dev/net/tun (Debian's udev rule makes it so)";
  }
  return "run `mybuild doctor`; RUN --network=host is the explicit way to use the host's network";
}

std::optional<std::string> probe_slirp4netns(const std::filesystem::path& binary) {
  NamespaceHolder holder;
  if (holder.error() != 0) {
    return std::string("unshare(CLONE_NEWNET): ") + std::strerror(holder.error());
  }
  try {
    common::CancelToken cancel;
    SlirpNetwork net = SlirpNetwork::start(binary, holder.pid());
    net.wait_ready(cancel, "probe");
  } catch (const Error& e) {
    return e.message();
  }
  return std::nullopt;
}

const std::optional<std::filesystem::path>& find_slirp4netns() {
  static const std::optional<std::filesystem::path> found = []() {
    std::optional<std::filesystem::path> result;
    const char* env = std::getenv("PATH");
    std::string_view path = env != nullptr ? env : "/usr/local/bin:/usr/bin:/bin";
    while (!result) {
      size_t colon = path.find(':');
      std::filesystem::path dir(path.substr(0, colon));
      if (!dir.empty() && ::access((dir / "slirp4netns").c_str(), X_OK) == 0) {
        result = dir / "slirp4netns";
      }
      if (colon == std::string_view::npos) break;
      path.remove_prefix(colon + 1);
    }
    return result;
  }();
  return found;
}

NetworkMode effective_network(NetworkMode requested, bool slirp_found) {
  if (requested == NetworkMode::kDefault && !slirp_found) return NetworkMode::kHost;
  return requested;
}

NetworkMode effective_network(NetworkMode requested) {
  if (requested != NetworkMode::kDefault) return requested;
  const auto& why = slirp_unusable();
  NetworkMode mode = effective_network(requested, !why.has_value());
  if (mode != requested) warn_fallback_once(*why);
  return mode;
}

SlirpNetwork::SlirpNetwork(pid_t pid, UniqueFd ready, UniqueFd exit_write, UniqueFd log,
                           bool sandboxed, std::filesystem::path binary, pid_t target)
    : pid_(pid),
      ready_(std::move(ready)),
      exit_write_(std::move(exit_write)),
      log_(std::move(log)),
      sandboxed_(sandboxed),
      binary_(std::move(binary)),
      target_(target) {}

SlirpNetwork::SlirpNetwork(SlirpNetwork&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)),
      ready_(std::move(other.ready_)),
      exit_write_(std::move(other.exit_write_)),
      log_(std::move(other.log_)),
      sandboxed_(other.sandboxed_),
      binary_(std::move(other.binary_)),
      target_(other.target_) {}

SlirpNetwork SlirpNetwork::start(const std::filesystem::path& binary, pid_t target) {
  // Its output goes to a memory file: nothing on disk to clean up, and quoted in errors.
  UniqueFd log(::memfd_create("slirp4netns-output", MFD_CLOEXEC));
  if (!log) common::throw_errno("memfd_create", "slirp4netns output");
  bool sandboxed = g_sandbox_works.load();
  Spawned s = spawn(binary, target, log.get(), sandboxed);
  return SlirpNetwork(s.pid, std::move(s.ready), std::move(s.exit_write), std::move(log), sandboxed,
                      binary, target);
}

SlirpNetwork::~SlirpNetwork() { stop(); }

void SlirpNetwork::stop() noexcept {
  exit_write_.reset();
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
}

void SlirpNetwork::wait_ready(common::CancelToken& cancel, const std::string& description) {
  auto deadline = std::chrono::steady_clock::now() + kReadyTimeout;
  std::string sandbox_failure;  // set when it failed with its sandbox and was started without
  while (true) {
    cancel.check(description);
    if (std::chrono::steady_clock::now() >= deadline) {
      throw Error(ErrorKind::kSandbox, "slirp4netns (the step's network): not ready after 10 s: " +
                                           log_tail(log_.get()));
    }
    pollfd p{ready_.get(), POLLIN, 0};
    int n = ::poll(&p, 1, kSlirpPollMs);
    if (n < 0 && errno != EINTR) common::throw_errno("poll", "slirp4netns ready fd");
    if (n <= 0) continue;
    char c = 0;
    if (::read(ready_.get(), &c, 1) == 1 && c == '1') {
      // Only now is it known that the sandbox options, not something else, were the trouble.
      if (!sandbox_failure.empty() && g_sandbox_works.exchange(false)) {
        common::log::warn("slirp4netns fails with --enable-sandbox --enable-seccomp (" +
                          sandbox_failure + "); running it without them from now on");
      }
      return;
    }
    // EOF: slirp4netns exited (or closed the fd) without being ready.
    std::string why = log_tail(log_.get());
    stop();
    if (!sandboxed_) {
      throw Error(ErrorKind::kSandbox,
                  "slirp4netns (the step's network) exited before the network was up: " + why);
    }
    sandbox_failure = why;
    sandboxed_ = false;
    Spawned s = spawn(binary_, target_, log_.get(), false);
    pid_ = s.pid;
    ready_ = std::move(s.ready);
    exit_write_ = std::move(s.exit_write);
  }
}

}  // namespace mybuild::sandbox
