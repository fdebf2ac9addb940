#include "sandbox/doctor.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cctype>
#include <string>

#include "sandbox/slirp.h"

namespace mybuild::sandbox {
namespace {

TEST(Doctor, ReportsEveryProbeWithAFixWhenSomethingIsMissing) {
  auto checks = run_doctor();
  ASSERT_EQ(checks.size(), 11u);
  for (const auto& c : checks) {
    EXPECT_FALSE(c.name.empty());
    EXPECT_FALSE(c.detail.empty()) << c.name;
    if (c.state == DoctorCheck::State::kMissing) {
      EXPECT_FALSE(c.fix.empty()) << c.name;
    }
  }
  // This test runs where the sandbox's own tests run: seccomp must be there.
  EXPECT_EQ(checks[7].name, "seccomp");
  EXPECT_EQ(checks[7].state, DoctorCheck::State::kOk);
  if (::geteuid() == 0) {
    EXPECT_EQ(checks[0].state, DoctorCheck::State::kOk) << checks[0].detail;  // overlay as root
  }
  // The network in force, probed by starting slirp4netns for real (deps/sandbox.txt has it).
  EXPECT_EQ(checks[9].name, "RUN network");
  if (find_slirp4netns()) {
    EXPECT_EQ(checks[9].state, DoctorCheck::State::kOk) << checks[9].detail;
    EXPECT_NE(checks[9].detail.find("private network namespace"), std::string::npos);
  } else {
    EXPECT_EQ(checks[9].fix, "apt-get install slirp4netns");
  }
  // What --isolation=auto picks: where these tests run (root, namespaces allowed), namespaces.
  EXPECT_EQ(checks[10].name, "isolation (--isolation=auto)");
  if (::geteuid() == 0) {
    EXPECT_EQ(checks[10].state, DoctorCheck::State::kOk) << checks[10].detail;
    EXPECT_EQ(checks[10].detail.rfind("namespaces", 0), 0u) << checks[10].detail;
  }
}

// `mybuild doctor` prints each detail and fix on one line of its own: a text read from a file or
// a command's output must not bring its newline along (a blank line in the report).
TEST(Doctor, EveryDetailAndFixIsOneLine) {
  for (const auto& c : run_doctor()) {
    for (const std::string* text : {&c.name, &c.detail, &c.fix}) {
      EXPECT_EQ(text->find('\n'), std::string::npos) << c.name << ": [" << *text << "]";
      if (!text->empty()) {
        EXPECT_FALSE(std::isspace(static_cast<unsigned char>(text->back()))) << *text;
      }
    }
  }
}

TEST(Doctor, ReportsTheDevicePolicyInForce) {
  auto checks = run_doctor();
  ASSERT_EQ(checks[3].name, "device policy");
  const std::string& detail = checks[3].detail;
  if (::geteuid() != 0) {
    EXPECT_EQ(detail.rfind("none (rootless", 0), 0u) << detail;
    return;
  }
  // As root on a host with cgroups (every CI machine): a mechanism, and the rules it enforces.
  EXPECT_EQ(checks[3].state, DoctorCheck::State::kOk) << detail;
  EXPECT_TRUE(detail.rfind("cgroup v1 devices controller", 0) == 0 ||
              detail.rfind("cgroup v2 BPF_PROG_TYPE_CGROUP_DEVICE", 0) == 0)
      << detail;
  EXPECT_NE(detail.find("c 1:3 rwm"), std::string::npos) << detail;
}

}  // namespace
}  // namespace mybuild::sandbox
