// The default RUN network (sandbox/slirp.h): a private namespace behind slirp4netns. From a
// default step the host's loopback services and abstract UNIX sockets are out of reach and its
// interfaces invisible, while outbound traffic works; NetworkMode::kHost is the control that
// shows each probe can succeed. slirp4netns never outlives the step, whatever ends it.
#include "sandbox/network.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "common/error.h"
#include "common/io.h"
#include "common/unique_fd.h"
#include "sandbox/run.h"
#include "sandbox/slirp.h"
#include "tests/sandbox/fixture.h"

namespace mybuild::sandbox {
namespace {

using namespace std::chrono_literals;

// A TCP server on `address`:<free port> answering "hello\n" to every connection, on a thread
// until destroyed.
class HelloServer {
 public:
  explicit HelloServer(const char* address) {
    fd_.reset(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    ::inet_pton(AF_INET, address, &a.sin_addr);
    int one = 1;
    ::setsockopt(fd_.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (::bind(fd_.get(), reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 ||
        ::listen(fd_.get(), 16) != 0) {
      common::throw_errno("bind/listen", address);
    }
    socklen_t len = sizeof(a);
    ::getsockname(fd_.get(), reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~HelloServer() {
    stop_ = true;
    thread_.join();
  }
  int port() const { return port_; }

 private:
  void serve() {
    while (!stop_) {
      pollfd p{fd_.get(), POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      common::UniqueFd c(::accept4(fd_.get(), nullptr, nullptr, SOCK_CLOEXEC));
      if (c) (void)!::write(c.get(), "hello\n", 6);
    }
  }
  common::UniqueFd fd_;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// slirp4netns processes whose parent is `parent`.
std::vector<pid_t> slirp_children(pid_t parent) {
  std::vector<pid_t> found;
  for (const auto& e : std::filesystem::directory_iterator("/proc")) {
    std::string name = e.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(e.path() / "stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    auto open = text.find('('), close = text.rfind(')');
    if (open == std::string::npos || close == std::string::npos) continue;
    char state = 0;
    pid_t ppid = 0;
    std::istringstream(text.substr(close + 2)) >> state >> ppid;
    if (ppid == parent && text.substr(open + 1, close - open - 1) == "slirp4netns") {
      found.push_back(std::stoi(name));
    }
  }
  return found;
}

class NetworkTest : public SandboxTest {
 protected:
  void SetUp() override {
    SandboxTest::SetUp();
    if (IsSkipped()) return;
    if (!find_slirp4netns()) {
      GTEST_SKIP() << "needs slirp4netns for the default network (apt-get install slirp4netns)";
    }
    if (auto why = probe_slirp4netns(*find_slirp4netns())) {
      GTEST_SKIP() << "slirp4netns cannot serve a namespace here: " << *why;
    }
  }
  std::string run_on(NetworkMode mode, const std::string& script) {
    ProcessSpec s = spec(script);
    s.network = mode;
    auto r = testing::run_collect(s);
    EXPECT_TRUE(r.status.success()) << script << ": " << r.status.describe() << "\n" << r.output;
    return r.output;
  }
};

TEST_F(NetworkTest, HostLoopbackListenerIsUnreachableByDefaultReachableWithHost) {
  HelloServer server("127.0.0.1");
  std::string port = std::to_string(server.port());
  // 10.0.2.2 would be the host's loopback were slirp4netns run without --disable-host-loopback.
  std::string probe = "for a in 127.0.0.1 10.0.2.2; do nc -w 2 $a " + port +
                      " </dev/null || echo \"$a unreachable\"; done 2>/dev/null";
  EXPECT_EQ(run_on(NetworkMode::kDefault, probe), "127.0.0.1 unreachable\n10.0.2.2 unreachable\n");
  EXPECT_EQ(run_on(NetworkMode::kHost, "nc -w 2 127.0.0.1 " + port + " </dev/null"), "hello\n");
}

TEST_F(NetworkTest, HostAbstractUnixSocketIsInvisibleByDefault) {
  // Abstract UNIX socket names live in the network namespace: /proc/net/unix lists those of the
  // reader's, and a connect() looks the name up there only.
  std::string name = "mybuild-network-test-" + std::to_string(::getpid());
  common::UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::memcpy(a.sun_path + 1, name.data(), name.size());
  socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
  ASSERT_EQ(::bind(fd.get(), reinterpret_cast<sockaddr*>(&a), len), 0) << std::strerror(errno);
  ASSERT_EQ(::listen(fd.get(), 1), 0);
  std::string probe = "grep -c '@" + name + "$' /proc/net/unix || true";
  EXPECT_EQ(run_on(NetworkMode::kDefault, probe), "0\n");
  EXPECT_EQ(run_on(NetworkMode::kHost, probe), "1\n");
}

TEST_F(NetworkTest, DefaultStepHasItsOwnInterfacesAndResolver) {
  std::string out = run_on(NetworkMode::kDefault,
                           "ls /sys/class/net; ip -4 -o addr show tap0 | awk '{print $4}';"
                           " ip route | grep default; grep -c nameserver /etc/resolv.conf;"
                           " grep -c 'nameserver 127\\.' /etc/resolv.conf || true");
  EXPECT_EQ(out, "lo\ntap0\n10.0.2.100/24\ndefault via 10.0.2.2 dev tap0 \n1\n0\n");
  // The host's own interfaces (at least one besides lo) are not among them.
  EXPECT_NE(run_on(NetworkMode::kHost, "ls /sys/class/net | grep -v -c -e '^lo$' -e '^tap0$'"),
            "0\n");
}

TEST_F(NetworkTest, HostGatewayReachesTheHostAtANonLoopbackAddress) {
  std::string ip = host_gateway_address(NetworkMode::kDefault);
  HelloServer server(ip.c_str());
  ProcessSpec s = spec("nc -w 5 gw " + std::to_string(server.port()) + " </dev/null");
  s.extra_hosts = {parse_host_entry("gw:host-gateway")};
  auto r = testing::run_collect(s);
  EXPECT_EQ(r.output, "hello\n") << "host-gateway is " << ip;
}

bool host_reaches(const char* host, const char* port) {
  addrinfo hints{}, *res = nullptr;
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  if (::getaddrinfo(host, port, &hints, &res) != 0) return false;
  common::UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  ::connect(fd.get(), res->ai_addr, res->ai_addrlen);
  ::freeaddrinfo(res);
  pollfd p{fd.get(), POLLOUT, 0};
  int err = 0;
  socklen_t len = sizeof(err);
  return ::poll(&p, 1, 3000) == 1 &&
         ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0;
}

TEST_F(NetworkTest, OutboundHttpToTheDebianMirrorWorks) {
  if (!host_reaches("deb.debian.org", "80")) {
    GTEST_SKIP() << "this host itself cannot reach deb.debian.org:80";
  }
  std::string out = run_on(NetworkMode::kDefault,
                           "wget -q -O - http://deb.debian.org/debian/dists/bookworm/Release"
                           " | grep -m1 '^Codename:'");
  EXPECT_EQ(out, "Codename: bookworm\n");
}

TEST_F(NetworkTest, NoSlirp4netnsLeftAfterTheStepNorAfterACancel) {
  pid_t self = ::getpid();
  ASSERT_EQ(slirp_children(self), std::vector<pid_t>{});
  EXPECT_EQ(run_on(NetworkMode::kDefault, "echo ran"), "ran\n");
  EXPECT_EQ(slirp_children(self), std::vector<pid_t>{});

  common::CancelToken cancel;
  std::vector<pid_t> seen;
  std::thread canceller([&] {
    for (int i = 0; i < 200 && seen.empty(); ++i) {
      std::this_thread::sleep_for(10ms);
      seen = slirp_children(self);
    }
    std::this_thread::sleep_for(100ms);
    cancel.cancel();
  });
  common::NullWriter out;
  ProcessSpec s = spec("sleep 30");
  EXPECT_THROW(run(s, cancel, out), common::Error);
  canceller.join();
  EXPECT_EQ(seen.size(), 1u) << "slirp4netns should serve the running step";
  EXPECT_EQ(slirp_children(self), std::vector<pid_t>{});
  for (pid_t p : seen) EXPECT_NE(::kill(p, 0), 0) << "slirp4netns " << p << " still exists";
}

TEST_F(NetworkTest, Slirp4netnsDiesWithAKilledMybuild) {
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  pid_t runner = ::fork();
  if (runner == 0) {  // stand-in for mybuild
    ::close(ready[0]);
    ProcessSpec s = spec("echo started; sleep 30");
    common::CancelToken cancel;
    common::FdWriter out(ready[1]);
    try {
      run(s, cancel, out);
    } catch (...) {
    }
    ::_exit(0);
  }
  ::close(ready[1]);
  char buf[16] = {};
  ASSERT_GT(::read(ready[0], buf, sizeof(buf)), 0);
  ::close(ready[0]);
  std::vector<pid_t> slirp = slirp_children(runner);
  ASSERT_EQ(slirp.size(), 1u);
  ASSERT_EQ(::kill(runner, SIGKILL), 0);
  ::waitpid(runner, nullptr, 0);
  // Orphaned, it is reparented to init (or a subreaper) which reaps it once it is dead.
  bool gone = false;
  for (int i = 0; i < 200 && !gone; ++i) {
    std::this_thread::sleep_for(10ms);
    while (::waitpid(-1, nullptr, WNOHANG) > 0) {  // when this process is a subreaper
    }
    std::ifstream stat("/proc/" + std::to_string(slirp[0]) + "/stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    gone = text.empty() || text.find(") Z ") != std::string::npos;
  }
  EXPECT_TRUE(gone) << "slirp4netns " << slirp[0] << " outlived the mybuild that started it";
}

}  // namespace
}  // namespace mybuild::sandbox
