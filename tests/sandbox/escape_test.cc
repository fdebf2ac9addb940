// Escape tests (issue 6): from inside a step, nothing of the host can be seen, reached or
// changed. Each test would pass on the host itself only if the isolation were missing.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/error.h"
#include "common/io.h"
#include "common/temp_dir.h"
#include "tests/sandbox/fixture.h"

namespace mybuild::sandbox {
namespace {

using EscapeTest = SandboxTest;

TEST_F(EscapeTest, HostProcessesAreInvisible) {
  std::string self = std::to_string(::getpid());
  // Only init, the shell and the four processes of the pipeline: PIDs 1..6.
  std::string out = sh("test -e /proc/" + self +
                       " && echo visible; ls /proc | grep '^[0-9]' | sort -n | tail -1");
  ASSERT_EQ(out.find("visible"), std::string::npos) << out;
  EXPECT_LE(std::stoi(out), 10) << out;
  EXPECT_EQ(sh("kill -0 " + self + " 2>/dev/null && echo reachable || echo no"), "no\n");
}

TEST_F(EscapeTest, ProcRootCwdAndSymlinksStayInTheRootfs) {
  namespace fs = std::filesystem;
  common::TempDir host("mybuild-host-");
  common::write_file_atomic(host.path() / "secret", "host data\n");
  fs::create_symlink(host.path(), rootfs_->path() / "abs");
  fs::create_symlink("../../../../../../.." + host.path().string(), rootfs_->path() / "rel");
  std::string target = host.path().string();
  // /proc/1/root is our init's: the step may not even look (ptrace access check).
  EXPECT_EQ(sh("cat /proc/1/root" + target +
               "/secret 2>/dev/null; cat /abs/secret 2>/dev/null;"
               " cat /rel/secret 2>/dev/null; cd /proc/self/cwd/../../../..; cat ." +
               target +
               "/secret 2>/dev/null; ls /proc/self/root/ | grep -c -x bin;"
               " ls /proc/1/root/ 2>/dev/null | grep -c -x work; echo end"),
            "1\n0\nend\n");
  // A mount whose target is a symlink to a host path is resolved inside the rootfs: there it
  // dangles, so setup fails, and nothing reaches the host directory.
  ProcessSpec s = spec("true");
  s.mounts = {{"tmpfs", "tmpfs", "/abs", {"size=1m"}}};
  EXPECT_THROW(testing::run_collect(s), common::Error);
  EXPECT_EQ(fs::directory_iterator(host.path())->path().filename(), "secret");
  // Pointing inside the rootfs works: the mount lands where the symlink leads, in the rootfs.
  fs::create_directories(rootfs_->path() / "real");
  fs::create_symlink("/real", rootfs_->path() / "link");
  ProcessSpec ok = spec("echo inside > /link/f && cat /real/f");
  ok.mounts = {{"tmpfs", "tmpfs", "/link", {"size=1m"}}};
  EXPECT_EQ(testing::run_collect(ok).output, "inside\n");
  EXPECT_FALSE(fs::exists(rootfs_->path() / "real/f"));  // it was on the tmpfs
}

TEST_F(EscapeTest, PrivilegedOperationsFail) {
  EXPECT_EQ(sh("mount -t tmpfs none /mnt 2>/dev/null || echo mount-denied;"
               " umount /proc 2>/dev/null || echo umount-denied;"
               " mkdir -p /new/old; pivot_root /new /new/old 2>/dev/null || echo pivot-denied;"
               " unshare -U true 2>/dev/null || echo userns-denied;"
               " unshare -m true 2>/dev/null || echo mountns-denied;"
               " nsenter -t 1 -n true 2>/dev/null || echo setns-denied;"
               " chroot / true && echo chroot-allowed;"
               " (echo 1 > /proc/sys/kernel/panic) 2>/dev/null || echo procsys-ro;"
               " touch /sys/x 2>/dev/null || echo sys-ro"),
            "mount-denied\numount-denied\npivot-denied\nuserns-denied\nmountns-denied\n"
            "setns-denied\nchroot-allowed\nprocsys-ro\nsys-ro\n");
}

TEST_F(EscapeTest, DockerDefaultCapabilitiesNoNewPrivsAndSeccomp) {
  EXPECT_EQ(sh("grep -E '^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp):' "
               "/proc/self/status"),
            "CapInh:\t0000000000000000\nCapPrm:\t00000000a80425fb\nCapEff:\t00000000a80425fb\n"
            "CapBnd:\t00000000a80425fb\nCapAmb:\t0000000000000000\nNoNewPrivs:\t1\nSeccomp:\t2\n");
  ProcessSpec s = spec("grep -E '^(CapEff|CapBnd):' /proc/self/status");
  s.user = "app";
  EXPECT_EQ(testing::run_collect(s).output,
            "CapEff:\t0000000000000000\nCapBnd:\t00000000a80425fb\n");
}

TEST_F(EscapeTest, SensitiveProcPathsAreMasked) {
  // Some kernels (this VM's) have no /proc/kcore or /proc/sysrq-trigger: absent is fine too.
  std::string script =
      "for p in /proc/kcore /proc/sysrq-trigger /proc/timer_list /proc/keys; do"
      " if [ -e $p ]; then stat -c %t:%T $p; else echo absent; fi; done;"
      " ls /proc/acpi 2>/dev/null | wc -l; ls /sys/firmware | wc -l";
  std::string out = sh(script);
  std::istringstream lines(out);
  std::string line;
  for (int i = 0; i < 4 && std::getline(lines, line); ++i) {
    EXPECT_TRUE(line == "1:3" || line == "absent") << "path " << i << ": " << line;
  }
  EXPECT_EQ(out.substr(out.size() - 4), "0\n0\n");
  EXPECT_NE(out.find("1:3"), std::string::npos) << "nothing was masked: " << out;
}

TEST_F(EscapeTest, NetworkNoneHasOnlyLoopbackUp) {
  ProcessSpec s = spec("ls /sys/class/net; cat /sys/class/net/lo/operstate; cat /etc/resolv.conf");
  s.network = NetworkMode::kNone;
  auto r = testing::run_collect(s);
  EXPECT_EQ(r.output, "lo\nunknown\n");
  ProcessSpec host = spec("ls /sys/class/net | grep -c -v '^lo$'");
  host.network = NetworkMode::kHost;
  // The host network (the default) shows the host's interfaces: at least one besides lo.
  EXPECT_NE(testing::run_collect(host).output, "0\n");
}

TEST_F(EscapeTest, MinimalDev) {
  EXPECT_EQ(sh("ls /dev | tr '\\n' ' '; echo; for l in fd stdin ptmx; do readlink /dev/$l; done"),
            "fd full mqueue null ptmx pts random shm stderr stdin stdout tty urandom zero \n"
            "/proc/self/fd\n/proc/self/fd/0\npts/ptmx\n");
  EXPECT_EQ(sh("head -c 4 /dev/urandom | wc -c; echo x > /dev/null && echo ok"), "4\nok\n");
}

TEST_F(EscapeTest, WritesLandOnlyInTheRootfsGiven) {
  EXPECT_EQ(sh("echo data > /newfile; mkdir -p /a/b; echo ok"), "ok\n");
  EXPECT_EQ(common::read_file(rootfs_->path() / "newfile"), "data\n");
  EXPECT_TRUE(std::filesystem::is_directory(rootfs_->path() / "a/b"));
  EXPECT_FALSE(std::filesystem::exists("/newfile"));
  EXPECT_FALSE(std::filesystem::exists("/a/b"));
}

// Docker's seccomp allow-list (sandbox/seccomp_profile.h) lets a shell's everyday work through.
TEST_F(EscapeTest, EverydayToolsWorkUnderTheSeccompAllowList) {
  for (const char* applet : {"tar", "wget", "gzip", "nc", "date", "du", "md5sum"}) {
    std::filesystem::create_symlink("busybox", rootfs_->path() / "bin" / applet);
  }
  EXPECT_EQ(sh("set -e; mkdir -p /w/d; cd /w; echo hi > d/f; cp -a d e; chmod 640 e/f;"
               " ln -s e/f l; tar czf t.tgz d e l; mkdir x; tar xzf t.tgz -C x; cat x/l;"
               " stat -c %a x/e/f; ls -l x | grep -c '^[dl]'; readlink x/l; id -u; whoami;"
               " sleep 0.1; date +%Y >/dev/null; du -s x >/dev/null; md5sum x/d/f | cut -c1-8;"
               " (wget -h 2>&1 || true) | grep -c -i usage; uname -s;"
               " sh -c 'echo \"sub $$\" >/dev/null; exit 3' || echo sub-exit=$?;"
               " grep '^Seccomp:' /proc/self/status"),
            "hi\n640\n3\ne/f\n0\nroot\n764efa88\n1\nLinux\nsub-exit=3\nSeccomp:\t2\n");
}

// The seccomp filter answers as Docker's default profile does: a static prober makes each call
// from inside the step. ptrace itself is allowed (kernel >= 4.8) but pid 1 is out of reach;
// chroot is allowed with CAP_SYS_CHROOT, which Docker's default set keeps.
TEST_F(EscapeTest, SeccompDeniesWhatDockersDefaultProfileDenies) {
  std::filesystem::copy_file(MYBUILD_SECCOMP_PROBE, rootfs_->path() / "bin/seccomp_probe");
  EXPECT_EQ(sh("seccomp_probe keyctl add_key request_key bpf kexec_load reboot mount"
               " unshare_user setns ptrace_init open_by_handle_at io_uring_setup socket_vsock"
               " personality_bsd unused_number clone3 beyond_every_number socket_unix"
               " personality_query chroot"),
            "keyctl EPERM\nadd_key EPERM\nrequest_key EPERM\nbpf EPERM\nkexec_load EPERM\n"
            "reboot EPERM\nmount EPERM\nunshare_user EPERM\nsetns EPERM\nptrace_init EPERM\n"
            "open_by_handle_at EPERM\nio_uring_setup EPERM\nsocket_vsock EPERM\n"
            "personality_bsd EPERM\nunused_number EPERM\nclone3 ENOSYS\n"
            "beyond_every_number ENOSYS\nsocket_unix OK\npersonality_query OK\nchroot OK\n");
  // A non-root user gets the same filter.
  ProcessSpec s = spec("seccomp_probe keyctl clone3 socket_unix");
  s.user = "app";
  EXPECT_EQ(testing::run_collect(s).output, "keyctl EPERM\nclone3 ENOSYS\nsocket_unix OK\n");
}

// RUN --security=insecure has no filter, as BuildKit's insecure mode runs seccomp-unconfined.
TEST_F(EscapeTest, InsecureStepHasNoSeccompFilter) {
  std::filesystem::copy_file(MYBUILD_SECCOMP_PROBE, rootfs_->path() / "bin/seccomp_probe");
  ProcessSpec s = spec("grep '^Seccomp:' /proc/self/status; seccomp_probe keyctl socket_vsock");
  s.insecure = true;
  auto r = testing::run_collect(s);
  // AF_VSOCK may be missing from the kernel (EAFNOSUPPORT): anything but the filter's EPERM.
  EXPECT_EQ(r.output.substr(0, r.output.find("socket_vsock")), "Seccomp:\t0\nkeyctl OK\n");
  EXPECT_EQ(r.output.find("socket_vsock EPERM"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace mybuild::sandbox
