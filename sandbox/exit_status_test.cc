#include <gtest/gtest.h>
#include <signal.h>

#include "sandbox/spec.h"

namespace mybuild::sandbox {
namespace {

TEST(ExitStatus, DescribesEachEnding) {
  ExitStatus ok;
  EXPECT_TRUE(ok.success());
  EXPECT_EQ(ok.describe(), "exit code 0");

  ExitStatus sig{.code = 137, .signal = SIGKILL};
  EXPECT_FALSE(sig.success());
  EXPECT_EQ(sig.describe(), "killed by signal 9 (Killed)");

  ExitStatus oom{.code = 137, .signal = SIGKILL, .oom_killed = true, .memory_limit = 256ull << 20};
  EXPECT_EQ(oom.describe(), "RUN step killed: out of memory, limit 256 MiB");

  ExitStatus odd{.oom_killed = true, .memory_limit = 1000};
  EXPECT_FALSE(odd.success());
  EXPECT_EQ(odd.describe(), "RUN step killed: out of memory, limit 1000 B");

  ExitStatus timeout{.code = 137, .signal = SIGKILL, .timed_out = true};
  EXPECT_EQ(timeout.describe(), "RUN step killed: timeout");
}

}  // namespace
}  // namespace mybuild::sandbox
