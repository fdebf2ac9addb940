#include "sandbox/doctor.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include "sandbox/slirp.h"

namespace mybuild::sandbox {
namespace {

TEST(Doctor, ReportsEveryProbeWithAFixWhenSomethingIsMissing) {
  auto checks = run_doctor();
  ASSERT_EQ(checks.size(), 9u);
  for (const auto& c : checks) {
    EXPECT_FALSE(c.name.empty());
    EXPECT_FALSE(c.detail.empty()) << c.name;
    if (c.state == DoctorCheck::State::kMissing) {
      EXPECT_FALSE(c.fix.empty()) << c.name;
    }
  }
  // This test runs where the sandbox's own tests run: seccomp must be there.
  EXPECT_EQ(checks[6].name, "seccomp");
  EXPECT_EQ(checks[6].state, DoctorCheck::State::kOk);
  if (::geteuid() == 0) {
    EXPECT_EQ(checks[0].state, DoctorCheck::State::kOk) << checks[0].detail;  // overlay as root
  }
  // The network in force, probed by starting slirp4netns for real (deps/sandbox.txt has it).
  EXPECT_EQ(checks[8].name, "RUN network");
  if (find_slirp4netns()) {
    EXPECT_EQ(checks[8].state, DoctorCheck::State::kOk) << checks[8].detail;
    EXPECT_NE(checks[8].detail.find("private network namespace"), std::string::npos);
  } else {
    EXPECT_EQ(checks[8].fix, "apt-get install slirp4netns");
  }
}

}  // namespace
}  // namespace mybuild::sandbox
