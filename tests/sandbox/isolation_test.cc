// What a step can reach of the host through devices and through its own PID 1 (the isolation
// issue): host device nodes made with mknod or shipped in a layer stay closed, the nodes mybuild
// binds into /dev work and cannot be changed, a step holds exactly descriptors 0-2, PID 1 is
// mybuild-init run from a sealed memfd (not a fork of mybuild with its argv, memory and
// descriptors), and moby's masked paths are masked.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

#include "common/io.h"
#include "common/temp_dir.h"
#include "sandbox/rootless.h"
#include "snapshot/extract.h"
#include "tests/sandbox/fixture.h"

namespace mybuild::sandbox {
namespace {

namespace fs = std::filesystem;
using IsolationTest = SandboxTest;

// "opened" or "denied" for each path, one per line: the shell's `: < path` is a bare open(2).
std::string probe_opens(const std::string& paths) {
  return "for p in " + paths +
         "; do if ( : < $p ) 2>/dev/null; then echo $p opened; else echo $p denied; fi; done";
}

// The rootless suite (tests/rootless) runs these too, inside its user namespace.
constexpr const char* kRootlessMknod =
    "rootless: the user namespace refuses mknod (rootless_sandbox_test.cc checks that)";

TEST_F(IsolationTest, HostDevicesMadeWithMknodCannotBeOpened) {
  if (inside_rootless()) GTEST_SKIP() << kRootlessMknod;
  // mknod itself stays allowed, as in Docker (CAP_MKNOD, "b *:* m"); opening is what is refused.
  EXPECT_EQ(sh("mknod /loop0 b 7 0 && mknod /loopctl c 10 237 && mknod /mem c 1 1 &&"
               " mknod /dev/loop0 b 7 0 && echo made; " +
               probe_opens("/loop0 /loopctl /mem /dev/loop0")),
            "made\n/loop0 denied\n/loopctl denied\n/mem denied\n/dev/loop0 denied\n");
}

TEST_F(IsolationTest, DeviceNodesShippedInABaseLayerCannotBeOpened) {
  if (inside_rootless()) GTEST_SKIP() << kRootlessMknod << "; extraction skips device nodes";
  // A layer as an image would ship it (written by Python's tarfile), unpacked by snapshot/ into
  // the rootfs as root, so the nodes really exist there.
  common::TempDir dir("mybuild-devlayer-");
  fs::path tar = dir.path() / "layer.tar";
  std::ofstream(dir.path() / "make_layer.py")
      << "import tarfile\n"
         "t = tarfile.open('" +
             tar.string() +
             "', 'w')\n"
             "for name, kind, major, minor in [('dev-loop0', tarfile.BLKTYPE, 7, 0),\n"
             "    ('dev-loopctl', tarfile.CHRTYPE, 10, 237), ('dev-null', tarfile.CHRTYPE, 1, "
             "3)]:\n"
             "    i = tarfile.TarInfo(name); i.type = kind; i.mode = 0o666\n"
             "    i.devmajor, i.devminor = major, minor\n"
             "    t.addfile(i)\n"
             "t.close()\n";
  ASSERT_EQ(std::system(("/usr/bin/python3 " + (dir.path() / "make_layer.py").string()).c_str()),
            0);
  common::FdReader reader{common::UniqueFd(::open(tar.c_str(), O_RDONLY | O_CLOEXEC))};
  snapshot::apply_layer(reader, rootfs_->path(), {});
  struct stat st {};
  ASSERT_EQ(::lstat((rootfs_->path() / "dev-loop0").c_str(), &st), 0);
  ASSERT_TRUE(S_ISBLK(st.st_mode));
  EXPECT_EQ(sh(probe_opens("/dev-loop0 /dev-loopctl /dev-null")),
            "/dev-loop0 denied\n/dev-loopctl denied\n/dev-null opened\n");
}

TEST_F(IsolationTest, DevNodesWorkButTheHostsCannotBeChanged) {
  struct stat before {};
  ASSERT_EQ(::stat("/dev/null", &before), 0);
  // Same mode and owner as the host's: harmless if the bind were writable, refused when not.
  EXPECT_EQ(sh("echo x > /dev/null && head -c 5 /dev/zero | wc -c && head -c 3 /dev/urandom |"
               " wc -c && head -c 2 /dev/random | wc -c && (echo x > /dev/full) 2>/dev/null ||"
               " echo full; for d in null zero full random urandom tty; do"
               " chmod 666 /dev/$d 2>/dev/null && echo chmod $d; chown 0:0 /dev/$d 2>/dev/null &&"
               " echo chown $d; done; echo end"),
            "5\n3\n2\nfull\nend\n");
  struct stat after {};
  ASSERT_EQ(::stat("/dev/null", &after), 0);
  EXPECT_EQ(after.st_mode, before.st_mode);
  EXPECT_EQ(after.st_uid, before.st_uid);
}

TEST_F(IsolationTest, AStepHoldsOnlyDescriptorsZeroToTwoEvenBesideAnotherStep) {
  // A descriptor opened without O_CLOEXEC, as a library in another thread of mybuild may: it
  // must reach neither the step's process nor its init.
  int leak[2];
  ASSERT_EQ(::pipe(leak), 0);
  ProcessSpec slow = spec("sleep 2");
  auto beside = std::async(std::launch::async, [&] { return testing::run_collect(slow); });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  // The step's process is ls itself (busybox sh keeps descriptors of its own); it lists its
  // descriptors: 0-2 as it was started, 3 the directory it reads.
  ProcessSpec own = spec("");
  own.args = {"/bin/ls", "/proc/self/fd"};
  EXPECT_EQ(testing::run_collect(own).output, "0\n1\n2\n3\n");
  // mybuild-init: /dev/null as stdio and the status pipe, nothing else. --security=insecure
  // only so that the step may look at /proc/1/fd (the ptrace access check).
  ProcessSpec init = spec("");
  init.args = {"/bin/ls", "/proc/1/fd"};
  init.insecure = true;
  auto r = testing::run_collect(init);
  EXPECT_TRUE(r.status.success()) << r.output;
  EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 4) << r.output;
  EXPECT_EQ(r.output.rfind("0\n1\n", 0), 0u) << r.output;
  EXPECT_TRUE(beside.get().status.success());
  ::close(leak[0]);
  ::close(leak[1]);
}

std::string own_cmdline() {
  std::string raw = common::read_file("/proc/self/cmdline", 1 << 16);
  return raw.substr(0, raw.find('\0'));
}

TEST_F(IsolationTest, Pid1IsMybuildInitNotAForkOfMybuild) {
  std::string out = sh("tr '\\0' ' ' < /proc/1/cmdline; echo; cat /proc/1/comm");
  EXPECT_EQ(out.find(own_cmdline()), std::string::npos) << out;
  EXPECT_EQ(out.find(fs::path(own_cmdline()).filename().string()), std::string::npos) << out;
  EXPECT_EQ(out.rfind("mybuild-init ", 0), 0u) << out;
}

TEST_F(IsolationTest, Pid1ExeIsASealedMemfdNotTheHostBinary) {
  struct stat host {};
  ASSERT_EQ(::stat("/proc/self/exe", &host), 0);
  // insecure: every capability, so nothing but the memfd's seals stands in the way.
  ProcessSpec s = spec(
      "stat -L -c '%d:%i' /proc/1/exe; readlink /proc/1/exe;"
      " (echo x >> /proc/1/exe) 2>/dev/null && echo wrote || echo write-denied;"
      " (echo x > /proc/1/exe) 2>/dev/null && echo truncated || echo truncate-denied");
  s.insecure = true;
  auto r = testing::run_collect(s);
  ASSERT_TRUE(r.status.success()) << r.output;
  std::string host_id = std::to_string(host.st_dev) + ":" + std::to_string(host.st_ino);
  EXPECT_NE(r.output.substr(0, r.output.find('\n')), host_id) << r.output;
  EXPECT_NE(r.output.find("/memfd:mybuild-init"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("write-denied\ntruncate-denied\n"), std::string::npos) << r.output;
}

TEST_F(IsolationTest, MobysMaskedPathsAreMasked) {
  std::string check;
  for (const char* p : {"/proc/interrupts", "/proc/kcore", "/proc/keys", "/proc/timer_list",
                        "/proc/sched_debug", "/proc/sysrq-trigger"}) {
    // A masked file is /dev/null bound over it (its size says nothing: proc files show 0).
    if (fs::exists(p)) {
      check += std::string("[ \"$(stat -c %t:%T ") + p + ")\" = 1:3 ] || echo unmasked " + p + "; ";
    }
  }
  for (const char* d : {"/proc/acpi", "/proc/scsi", "/proc/asound", "/sys/firmware",
                        "/sys/devices/virtual/powercap"}) {
    if (fs::exists(d))
      check += std::string("ls ") + d + " | grep -q . && echo unmasked " + d + "; ";
  }
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/sys/devices/system/cpu", ec)) {
    fs::path t = e.path() / "thermal_throttle";
    if (fs::exists(t))
      check += "ls " + t.string() + " | grep -q . && echo unmasked " + t.string() + "; ";
  }
  ASSERT_NE(check.find("/proc/interrupts"), std::string::npos);
  EXPECT_EQ(sh(check + "echo end"), "end\n");
}

}  // namespace
}  // namespace mybuild::sandbox
