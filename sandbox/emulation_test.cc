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

TEST(Emulation, WithoutAHandlerAStaticEmulatorOnThePathRunsIt) {
  common::TempDir binfmt("mybuild-binfmt-");
  common::write_file_atomic(binfmt.path() / "status", "enabled\n");  // mounted, no handler
  common::TempDir bin("mybuild-qemu-path-");
  const auto emulator = bin.path() / "qemu-aarch64-static";
  common::write_file_atomic(emulator, "not run here");
  const std::string path = "relative/dir::" + bin.path().string();
  // Not executable: not an emulator.
  EXPECT_FALSE(find_static_emulator(arm64(), path));
  std::filesystem::permissions(emulator, std::filesystem::perms::owner_all);
  EXPECT_EQ(find_static_emulator(arm64(), path), emulator);
  EXPECT_FALSE(find_static_emulator(common::Platform::parse("linux/s390x"), path));

  ForeignRun via = how_to_run(arm64(), path, binfmt.path());
  EXPECT_FALSE(via.reason);
  EXPECT_EQ(via.emulator, emulator);
  // A registered handler wins: nothing goes in front of argv.
  common::write_file_atomic(binfmt.path() / "qemu-aarch64", kAarch64Entry);
  via = how_to_run(arm64(), path, binfmt.path());
  EXPECT_FALSE(via.emulator);
  EXPECT_FALSE(via.reason);
  // Neither: the reason names both.
  via = how_to_run(common::Platform::parse("linux/s390x"), path, binfmt.path());
  ASSERT_TRUE(via.reason);
  EXPECT_NE(via.reason->find("no binfmt_misc handler"), std::string::npos) << *via.reason;
  EXPECT_NE(via.reason->find("qemu-s390x-static on PATH"), std::string::npos) << *via.reason;
  EXPECT_EQ(qemu_machine(common::Platform::parse("linux/amd64")), "x86_64");
  EXPECT_FALSE(qemu_machine(common::Platform::parse("windows/amd64")));
}

}  // namespace
}  // namespace mybuild::sandbox
