#include "sandbox/emulation.h"

#include <gtest/gtest.h>

#include <fstream>

#include "common/io.h"
#include "common/temp_dir.h"

namespace mybuild::sandbox {
namespace {

// An entry as the kernel shows Debian's qemu-user-static registration (qemu-aarch64.conf).
constexpr const char* kAarch64Entry =
    "enabled\ninterpreter /usr/libexec/qemu-binfmt/aarch64-binfmt-P\nflags: POF\noffset 0\n"
    "magic 7f454c460201010000000000000000000200b700\n"
    "mask ffffffffffffff00fffffffffffffffffeffffff\n";

common::Platform arm64() { return common::Platform::parse("linux/arm64"); }

TEST(Emulation, ReadsTheHostsOwnBinaryAsItsPlatform) {
  std::string head(64, '\0');
  std::ifstream("/proc/self/exe", std::ios::binary).read(head.data(), 64);
  auto p = elf_platform(head);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->str(), common::Platform::host().str());
  EXPECT_FALSE(elf_platform("#!/bin/sh\n echo not an elf binary at all"));
}

TEST(Emulation, AnEntryWithTheFixBinaryFlagRunsItsPlatform) {
  common::TempDir dir("mybuild-binfmt-");
  common::write_file_atomic(dir.path() / "status", "enabled\n");
  common::write_file_atomic(dir.path() / "qemu-aarch64", kAarch64Entry);
  common::write_file_atomic(dir.path() / "python3.11",
                            "enabled\ninterpreter /usr/bin/python3.11\nflags: \noffset 0\n"
                            "magic a70d0d0a\n");
  auto emulators = registered_emulators(dir.path());
  ASSERT_EQ(emulators.size(), 1u) << "python's handler is no ELF emulator";
  EXPECT_EQ(emulators[0].platform.str(), "linux/arm64");
  EXPECT_TRUE(emulators[0].fix_binary);
  EXPECT_FALSE(cannot_run_reason(arm64(), dir.path()));
  EXPECT_FALSE(cannot_run_reason(common::Platform::host(), dir.path()));
  auto riscv = cannot_run_reason(common::Platform::parse("linux/riscv64"), dir.path());
  ASSERT_TRUE(riscv);
  EXPECT_NE(riscv->find("linux/riscv64"), std::string::npos) << *riscv;
  EXPECT_NE(riscv->find("qemu-user-static"), std::string::npos) << *riscv;
}

TEST(Emulation, WithoutTheFlagOrDisabledTheReasonSaysSo) {
  common::TempDir dir("mybuild-binfmt-");
  common::write_file_atomic(dir.path() / "status", "enabled\n");
  std::string no_f = kAarch64Entry;
  no_f.replace(no_f.find("POF"), 3, "PO");
  common::write_file_atomic(dir.path() / "qemu-aarch64", no_f);
  auto reason = cannot_run_reason(arm64(), dir.path());
  ASSERT_TRUE(reason);
  EXPECT_NE(reason->find("without the F (fix binary) flag"), std::string::npos) << *reason;

  common::write_file_atomic(dir.path() / "qemu-aarch64", std::string(kAarch64Entry).substr(8));
  reason = cannot_run_reason(arm64(), dir.path());
  ASSERT_TRUE(reason);
  EXPECT_NE(reason->find("disabled"), std::string::npos) << *reason;
}

TEST(Emulation, AnUnmountedDirectoryIsNamed) {
  common::TempDir dir("mybuild-binfmt-");
  EXPECT_TRUE(registered_emulators(dir.path() / "absent").empty());
  auto reason = cannot_run_reason(arm64(), dir.path());
  ASSERT_TRUE(reason);
  EXPECT_NE(reason->find("not mounted"), std::string::npos) << *reason;
}

}  // namespace
}  // namespace mybuild::sandbox
