// sandbox::run end to end in a busybox rootfs: what a RUN step sees and how its end is reported.
// Needs root (namespaces, mounts, cgroups); skips with the reason otherwise.
#include "sandbox/run.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include "common/error.h"
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
  std::optional<BusyboxRootfs> rootfs_;
};

TEST_F(RunTest, StreamsOutputAndReportsExitCode) {
  auto r = run_collect(shell_spec(*rootfs_, "echo hello; echo err >&2; exit 3"));
  EXPECT_EQ(r.output, "hello\nerr\n");
  EXPECT_EQ(r.status.code, 3);
  EXPECT_EQ(r.status.signal, 0);
  EXPECT_FALSE(r.status.success());
  EXPECT_EQ(r.status.describe(), "exit code 3");
}

}  // namespace
}  // namespace mybuild::sandbox
