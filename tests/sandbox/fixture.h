// Shared fixture of the sandbox integration suites: skips without root or busybox-static,
// builds a busybox rootfs per test.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <optional>
#include <string>

#include "sandbox/testing/busybox_rootfs.h"

namespace mybuild::sandbox {

class SandboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root: namespaces, mounts and cgroups";
    if (!testing::find_static_busybox()) GTEST_SKIP() << "needs busybox-static";
    rootfs_.emplace();
  }
  ProcessSpec spec(const std::string& script) {
    ProcessSpec s = testing::shell_spec(*rootfs_, script);
    if (!state_dir_.empty()) s.state_dir = state_dir_;
    return s;
  }
  // Runs script and returns its output, expecting success.
  std::string sh(const std::string& script) {
    auto r = testing::run_collect(spec(script));
    EXPECT_TRUE(r.status.success()) << script << ": " << r.status.describe() << "\n" << r.output;
    return r.output;
  }
  std::optional<testing::BusyboxRootfs> rootfs_;
  std::filesystem::path state_dir_;  // empty: shell_spec's default
};

}  // namespace mybuild::sandbox
