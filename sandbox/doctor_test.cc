#include "sandbox/doctor.h"

#include <gtest/gtest.h>
#include <unistd.h>

namespace mybuild::sandbox {
namespace {

TEST(Doctor, ReportsEveryProbeWithAFixWhenSomethingIsMissing) {
  auto checks = run_doctor();
  ASSERT_EQ(checks.size(), 8u);
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
}

}  // namespace
}  // namespace mybuild::sandbox
