// sandbox::run end to end in a busybox rootfs: what a RUN step sees and how its end is reported.
// Needs root (namespaces, mounts, cgroups); skips with the reason otherwise. The escape, limit
// and leak suites are in tests/sandbox/.
#include "sandbox/run.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "common/error.h"
#include "common/io.h"
#include "common/temp_dir.h"
#include "sandbox/testing/busybox_rootfs.h"

namespace mybuild::sandbox {
namespace {

using testing::BusyboxRootfs;
using testing::run_collect;
using testing::shell_spec;

class RunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root: namespaces, mounts and cgroups";
    if (!testing::find_static_busybox()) GTEST_SKIP() << "needs busybox-static";
    rootfs_.emplace();
  }
  ProcessSpec spec(const std::string& script) { return shell_spec(*rootfs_, script); }
  std::optional<BusyboxRootfs> rootfs_;
};

TEST_F(RunTest, StreamsOutputAndReportsExitCode) {
  auto r = run_collect(spec("echo hello; echo err >&2; exit 3"));
  EXPECT_EQ(r.output, "hello\nerr\n");
  EXPECT_EQ(r.status.code, 3);
  EXPECT_EQ(r.status.signal, 0);
  EXPECT_FALSE(r.status.success());
  EXPECT_EQ(r.status.describe(), "exit code 3");
}

TEST_F(RunTest, ReportsTheSignalThatKilledTheMainProcess) {
  auto r = run_collect(spec("kill -TERM $$"));
  EXPECT_EQ(r.status.signal, SIGTERM);
  EXPECT_EQ(r.status.code, 128 + SIGTERM);
}

TEST_F(RunTest, PassesArgsEnvAndLooksUpArgv0InTheStepsPath) {
  ProcessSpec s = spec("");
  s.args = {"echo", "a b", "$HOME"};
  s.env = {"PATH=/nowhere:/bin", "FOO=bar"};
  EXPECT_EQ(run_collect(s).output, "a b $HOME\n");
  s.args = {"env"};
  EXPECT_EQ(run_collect(s).output, "PATH=/nowhere:/bin\nFOO=bar\n");
}

TEST_F(RunTest, CreatesTheWorkingDirectory) {
  ProcessSpec s = spec("pwd; stat -c %u /work/a/b");
  s.cwd = "/work/a/b";
  auto r = run_collect(s);
  EXPECT_EQ(r.output, "/work/a/b\n0\n");
  EXPECT_TRUE(std::filesystem::is_directory(rootfs_->path() / "work/a/b"));
}

TEST_F(RunTest, ResolvesUsersFromTheRootfs) {
  ProcessSpec s = spec("id");
  s.user = "app";
  EXPECT_EQ(run_collect(s).output,
            "uid=1000(app) gid=1000(app) groups=29(audio),50(staff),1000(app)\n");
  s.user = "1234:50";
  // The primary gid is always among the groups, as runc does since CVE-2022-36109.
  EXPECT_EQ(run_collect(s).output, "uid=1234 gid=50(staff) groups=50(staff)\n");
  s.user = "nosuchuser";
  try {
    run_collect(s);
    FAIL() << "expected an error";
  } catch (const common::Error& e) {
    EXPECT_EQ(e.kind(), common::ErrorKind::kSandbox);
    EXPECT_NE(e.full_message().find("RUN test: unable to find user nosuchuser"), std::string::npos)
        << e.full_message();
  }
}

TEST_F(RunTest, SetupFailureNamesTheStep) {
  ProcessSpec s = spec("");
  s.args = {"no-such-binary"};
  try {
    run_collect(s);
    FAIL() << "expected an error";
  } catch (const common::Error& e) {
    EXPECT_EQ(e.kind(), common::ErrorKind::kSandbox);
    EXPECT_EQ(e.full_message(), "RUN test: exec no-such-binary: No such file or directory");
  }
  s = spec("true");
  s.mounts.push_back({"bind", "/nonexistent-source-dir", "/mnt", {"ro"}});
  try {
    run_collect(s);
    FAIL() << "expected an error";
  } catch (const common::Error& e) {
    EXPECT_EQ(e.full_message(),
              "RUN test: mounting an extra mount: mount(/nonexistent-source-dir -> /mnt): No "
              "such file or directory");
  }
}

// As crun does, a failed setup names the call and its paths, not only the step.
TEST_F(RunTest, SetupFailureNamesTheDirectoryItCouldNotCreate) {
  common::write_file_atomic(rootfs_->path() / "afile", "not a directory");
  ProcessSpec s = spec("true");
  s.cwd = "/afile/src";
  try {
    run_collect(s);
    FAIL() << "expected an error";
  } catch (const common::Error& e) {
    EXPECT_EQ(e.full_message(),
              "RUN test: creating the working directory: mkdir(/afile/src): Not a directory");
  }
  s = spec("true");
  s.mounts.push_back({"bind", "/", "/afile/cache", {"ro"}});
  try {
    run_collect(s);
    FAIL() << "expected an error";
  } catch (const common::Error& e) {
    EXPECT_EQ(e.full_message(),
              "RUN test: mounting an extra mount: mkdir(/afile/cache): Not a directory");
  }
}

TEST_F(RunTest, HostnameAndGeneratedEtcFilesStayOutOfTheRootfs) {
  ProcessSpec s =
      spec("hostname; cat /etc/hostname; grep -c mybox /etc/hosts; echo x >> /etc/hosts");
  s.hostname = "mybox";
  auto r = run_collect(s);
  EXPECT_EQ(r.output, "mybox\nmybox\n1\n");
  // The mount points exist in the rootfs (empty), never the generated content.
  EXPECT_EQ(common::read_file(rootfs_->path() / "etc/hosts"), "");
  EXPECT_EQ(common::read_file(rootfs_->path() / "etc/hostname"), "");
}

TEST_F(RunTest, ExtraHostsFollowTheDefaultHostsLines) {
  ProcessSpec s = spec("cat /etc/hosts");
  s.hostname = "mybox";
  s.extra_hosts = {{"db", "10.1.2.3"}, {"v6", "fd00::1"}};
  EXPECT_EQ(run_collect(s).output,
            "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\tmybox\n"
            "10.1.2.3\tdb\nfd00::1\tv6\n");
}

TEST_F(RunTest, ShmSizeSetsTheDevShmTmpfs) {
  // df's 1K-blocks column of /dev/shm: 65536 by default (docker's 64 MiB), else the spec's size.
  const char* script = "busybox df -k /dev/shm | tail -1 | awk '{print $2}'";
  EXPECT_EQ(run_collect(spec(script)).output, "65536\n");
  ProcessSpec s = spec(script);
  s.shm_size_bytes = 8 * 1024 * 1024;
  EXPECT_EQ(run_collect(s).output, "8192\n");
}

TEST_F(RunTest, RlimitsReachTheStepsProcessAndItsUser) {
  ProcessSpec s = spec("ulimit -n; ulimit -Hn; ulimit -c");
  s.rlimits = {{RLIMIT_NOFILE, 512, 1024}, {RLIMIT_CORE, 0, 0}};
  EXPECT_EQ(run_collect(s).output, "512\n1024\n0\n");
  // Set before the switch to the step's user, who keeps them and cannot raise the hard limit.
  s = spec("ulimit -n; ulimit -n 2048 2>/dev/null || echo denied");
  s.user = "app";
  s.rlimits = {{RLIMIT_NOFILE, 256, 1024}};
  EXPECT_EQ(run_collect(s).output, "256\ndenied\n");
}

TEST_F(RunTest, AnRlimitTheKernelRefusesNamesSetrlimit) {
  // RLIMIT_NOFILE cannot exceed fs.nr_open, even for root.
  ProcessSpec s = spec("true");
  s.rlimits = {{RLIMIT_NOFILE, 1024, kRlimitUnlimited}};
  try {
    run_collect(s);
    FAIL() << "expected an error";
  } catch (const common::Error& e) {
    EXPECT_EQ(e.kind(), common::ErrorKind::kSandbox);
    EXPECT_EQ(e.full_message(),
              "RUN test: setrlimit nofile=1024:unlimited: Operation not permitted");
  }
}

TEST_F(RunTest, ExtraMountsReadOnlyReadWriteTmpfsAndSecrets) {
  common::TempDir ro("mybuild-ro-"), cache("mybuild-cache-");
  common::write_file_atomic(ro.path() / "f", "from host\n");
  ProcessSpec s = spec(
      "cat /ro/f; (echo x > /ro/g) 2>/dev/null || echo ro-denied; echo kept > /cache/c;"
      " echo t > /scratch/t && echo tmpfs-ok; cat /run/secrets/token; stat -c %a "
      "/run/secrets/token;"
      " (echo y > /run/secrets/token) 2>/dev/null || echo secret-ro");
  s.mounts = {{"bind", ro.path().string(), "/ro", {"ro"}},
              {"bind", cache.path().string(), "/cache", {"rw"}},
              {"tmpfs", "tmpfs", "/scratch", {"size=1m"}}};
  s.secrets = {{.content = "s3cret\n", .target = "/run/secrets/token", .mode = 0400}};
  auto r = run_collect(s);
  EXPECT_EQ(r.output, "from host\nro-denied\ntmpfs-ok\ns3cret\n400\nsecret-ro\n");
  EXPECT_EQ(common::read_file(cache.path() / "c"), "kept\n");
  EXPECT_FALSE(std::filesystem::exists(ro.path() / "g"));
  // The secret's content never lands in the rootfs (only an empty mount point).
  EXPECT_EQ(common::read_file(rootfs_->path() / "run/secrets/token"), "");
}

TEST_F(RunTest, Pid1ReapsZombiesAndTheStepIsPid2) {
  auto r =
      run_collect(spec("echo $$; (sleep 0 &); sleep 0.2; ps -o stat,comm | grep -c '^Z' || true"));
  EXPECT_EQ(r.output, "2\n0\n");
}

TEST_F(RunTest, BackgroundProcessesDieWithTheMainProcess) {
  auto start = std::chrono::steady_clock::now();
  auto r = run_collect(spec("sleep 30 & echo started"));
  EXPECT_EQ(r.output, "started\n");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

TEST_F(RunTest, TimeoutKillsTheTree) {
  ProcessSpec s = spec("sleep 30");
  s.timeout = std::chrono::milliseconds(300);
  auto start = std::chrono::steady_clock::now();
  auto r = run_collect(s);
  EXPECT_TRUE(r.status.timed_out);
  EXPECT_FALSE(r.status.success());
  EXPECT_EQ(r.status.describe(), "RUN step killed: timeout");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST_F(RunTest, CancelKillsTheTreeAndThrowsCancelled) {
  common::CancelToken cancel;
  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    cancel.cancel();
  });
  common::StringWriter out;
  try {
    run(spec("echo go; sleep 30"), cancel, out);
    ADD_FAILURE() << "expected kCancelled";
  } catch (const common::Error& e) {
    EXPECT_EQ(e.kind(), common::ErrorKind::kCancelled);
  }
  canceller.join();
  EXPECT_EQ(out.str(), "go\n");
}

TEST_F(RunTest, ReportsCpuTimeAndPeakMemory) {
  auto r = run_collect(spec("i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done"));
  EXPECT_TRUE(r.status.success());
  EXPECT_GT(r.status.usage.cpu_time.count(), 1000);
  EXPECT_GT(r.status.usage.peak_memory_bytes, 0u);
}

TEST_F(RunTest, InsecureKeepsAllCapabilities) {
  ProcessSpec s = spec("grep CapEff /proc/self/status");
  EXPECT_EQ(run_collect(s).output, "CapEff:\t00000000a80425fb\n");
  s.insecure = true;
  EXPECT_NE(run_collect(s).output, "CapEff:\t00000000a80425fb\n");
}

}  // namespace
}  // namespace mybuild::sandbox
