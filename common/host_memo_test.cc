#include "common/host_memo.h"

#include <gtest/gtest.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/io.h"
#include "common/temp_dir.h"

namespace mybuild::common {
namespace {

class HostMemoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!host_fingerprint(dir_.path())) {
      GTEST_SKIP() << "this process has no fingerprint (a seccomp filter or a user namespace "
                      "around the tests): nothing is ever remembered here";
    }
  }
  TempDir dir_;
};

TEST_F(HostMemoTest, RemembersAYesForThisVeryFingerprint) {
  const auto file = dir_.path() / "memo";
  EXPECT_FALSE(host_memo_holds(file));  // nothing remembered yet
  host_memo_remember(file);
  EXPECT_TRUE(host_memo_holds(file));
  // The fingerprint names the boot and this process's namespaces and powers.
  const std::string text = read_file(file);
  EXPECT_NE(text.find(read_file("/proc/sys/kernel/random/boot_id")), std::string::npos) << text;
  EXPECT_NE(text.find("/proc/self/ns/mnt=mnt:["), std::string::npos) << text;
  EXPECT_NE(text.find("CapEff:"), std::string::npos) << text;
}

TEST_F(HostMemoTest, AnyOtherFingerprintIsAProbeAgain) {
  const auto file = dir_.path() / "memo";
  host_memo_remember(file);
  std::string text = read_file(file);
  text.replace(text.find("CapEff:"), 7, "CapEfX:");  // as if written with other powers
  write_file_atomic(file, text);
  EXPECT_FALSE(host_memo_holds(file));
  write_file_atomic(file, "");
  EXPECT_FALSE(host_memo_holds(file));
}

// tests/isolation confines mybuild with a seccomp filter; such a process must probe for real.
TEST_F(HostMemoTest, NothingIsBelievedUnderASeccompFilter) {
  const auto file = dir_.path() / "memo";
  host_memo_remember(file);
  ASSERT_TRUE(host_memo_holds(file));
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    struct sock_fprog prog = {1, &allow};
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) ::_exit(2);
    if (::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) ::_exit(3);
    ::_exit(host_memo_holds(file) || host_fingerprint(dir_.path()) ? 1 : 0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "1: believed under a filter; 2, 3: prctl failed";
}

}  // namespace
}  // namespace mybuild::common
