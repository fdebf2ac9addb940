// A RUN for linux/arm64 on this amd64 host, through QEMU's binfmt_misc registration (Debian's
// qemu-user-static, flag F) or, where binfmt_misc has no handler, through qemu-aarch64-static
// found on PATH; and, for a platform nothing emulates, the error before the step.
#include <cstdlib>
#include <fstream>

#include "sandbox/emulation.h"
#include "tests/platform/fixture.h"

namespace mybuild::platform_testing {
namespace {

// Registers Debian's aarch64 handler when none is (a host without systemd-binfmt running, as
// a container is): binfmt_misc mounted, then qemu-user-static's own registration line written
// to `register`. nullopt when arm64 can run afterwards; else why not.
std::optional<std::string> ensure_arm64_emulation() {
  const auto arm64 = common::Platform::parse("linux/arm64");
  if (!sandbox::cannot_run_reason(arm64)) return std::nullopt;
  const fs::path conf = "/usr/lib/binfmt.d/qemu-aarch64.conf";
  if (!fs::exists(conf)) return "qemu-user-static is not installed (deps/platform.txt)";
  if (!fs::exists(std::string(sandbox::kBinfmtDir) + "/register")) {
    run_command({"mount", "-t", "binfmt_misc", "binfmt_misc", sandbox::kBinfmtDir});
  }
  std::ofstream(std::string(sandbox::kBinfmtDir) + "/register") << common::read_file(conf);
  return sandbox::cannot_run_reason(arm64);
}

TEST_F(TwoPlatforms, RunOnArm64UnderQemuSeesAarch64) {
  if (auto why = ensure_arm64_emulation()) {
    GTEST_SKIP() << "this kernel cannot emulate arm64 here, after trying to register QEMU: "
                 << *why;
  }
  dockerfile("FROM base-$TARGETARCH\nRUN echo \"machine=$(uname -m)\" | tee /machine\n");
  const std::string out = built({"--platform", "linux/arm64", "-t", "emulated:arm64"});
  EXPECT_NE(out.find("machine=aarch64"), std::string::npos) << out;
  EXPECT_EQ(out.find("machine=x86_64"), std::string::npos) << out;
  json image = mybuild_json({"inspect", "emulated:arm64"}, store_);
  ASSERT_TRUE(image.is_array()) << image.dump();
  EXPECT_EQ(image[0]["Architecture"], "arm64");
}

TEST_F(TwoPlatforms, RunForAPlatformNothingEmulatesFailsNamingIt) {
  // The first of these this host cannot run (qemu-user-static with binfmt-support covers the
  // first ones; no emulator exists for the last).
  std::string platform;
  const char* search = std::getenv("PATH");
  for (const char* p : {"linux/riscv64", "linux/s390x", "linux/loong64", "linux/wasm"}) {
    // Neither a binfmt_misc handler nor a static emulator on PATH.
    if (sandbox::how_to_run(common::Platform::parse(p), search ? search : "").reason) {
      platform = p;
      break;
    }
  }
  const std::string arch = platform.substr(6);
  // Only the label matters: the step must fail before anything runs.
  import_as("base-" + arch, tar_, platform);
  dockerfile("FROM base-$TARGETARCH\nRUN echo ran\n");
  std::string out;
  EXPECT_EQ(build({"--platform", platform}, &out), 1) << out;
  EXPECT_NE(out.find("RUN for " + platform), std::string::npos) << out;
  EXPECT_NE(out.find("qemu-user-static"), std::string::npos) << out;
  EXPECT_EQ(out.find("\nran"), std::string::npos) << "nothing ran: " << out;
  std::string doctor;
  run_command({MYBUILD_BINARY, "doctor"}, &doctor);
  EXPECT_NE(doctor.find("platforms (RUN for other platforms): runs linux/amd64"), std::string::npos)
      << doctor;
}

TEST_F(TwoPlatforms, WithoutBinfmtTheStaticEmulatorOnPathRunsTheStep) {
  const auto arm64 = common::Platform::parse("linux/arm64");
  const char* search = std::getenv("PATH");
  auto emulator = sandbox::find_static_emulator(arm64, search ? search : "");
  if (!emulator) GTEST_SKIP() << "no qemu-aarch64-static on PATH (deps/platform.txt)";
  // binfmt_misc read from an empty directory: the path a container without the host's
  // registrations takes, whatever this host has registered.
  const fs::path no_binfmt = work_.path() / "no-binfmt";
  fs::create_directories(no_binfmt);
  dockerfile("FROM base-$TARGETARCH\nRUN echo \"machine=$(uname -m)\" | tee /machine\n");
  auto build_with = [&](const std::string& path_value, const std::string& output,
                        std::string* out) {
    return run_command({"env", "MYBUILD_BINFMT_DIR=" + no_binfmt.string(), "PATH=" + path_value,
                        MYBUILD_BINARY, "--root", store_.string(), "build", "--progress", "plain",
                        "--platform", "linux/arm64", "-o", output, context_.string()},
                       out);
  };
  const fs::path rootfs = work_.path() / "rootfs-out";
  std::string out;
  ASSERT_EQ(build_with(search, "type=local,dest=" + rootfs.string(), &out), 0) << out;
  EXPECT_NE(out.find("running it with " + emulator->string()), std::string::npos) << out;
  EXPECT_NE(out.find("machine=aarch64"), std::string::npos) << out;
  EXPECT_EQ(common::read_file(rootfs / "machine"), "machine=aarch64\n");
  // The emulator was bound in for the step only: its mount point is not in the result.
  EXPECT_FALSE(fs::exists(fs::symlink_status(rootfs / ".mybuild-qemu-static"))) << out;

  // doctor says so too.
  std::string doctor;
  run_command({"env", "MYBUILD_BINFMT_DIR=" + no_binfmt.string(), MYBUILD_BINARY, "doctor"},
              &doctor);
  EXPECT_NE(doctor.find("through a static emulator on PATH: linux/arm64 (" + emulator->string()),
            std::string::npos)
      << doctor;

  // Neither a handler nor the emulator: the clear error, before the step runs.
  dockerfile("FROM base-$TARGETARCH\nRUN echo again\n");
  EXPECT_EQ(build_with("/nonexistent", "type=local,dest=" + rootfs.string(), &out), 1) << out;
  EXPECT_NE(out.find("RUN for linux/arm64"), std::string::npos) << out;
  EXPECT_NE(out.find("qemu-aarch64-static on PATH"), std::string::npos) << out;
}

}  // namespace
}  // namespace mybuild::platform_testing
