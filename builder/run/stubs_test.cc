// StubCleaner on plain directories (no root, no overlay): what a step created for its mount
// points goes, what it made its own stays, and a step that swapped a parent for a symlink to a
// host path cannot make the cleanup act on the host (CVE-2024-23652's pattern).
#include "builder/run/stubs.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "common/temp_dir.h"

namespace mybuild::builder {
namespace {

namespace fs = std::filesystem;

class StubCleanerTest : public ::testing::Test {
 protected:
  fs::path root() const { return dir_.path() / "root"; }
  fs::path host() const { return dir_.path() / "host"; }
  void SetUp() override {
    fs::create_directories(root() / "etc");
    fs::create_directories(host());
  }
  common::TempDir dir_{"mybuild-stubs-test-"};
};

TEST_F(StubCleanerTest, RemovesWhatTheSandboxCreatedAndLeftEmpty) {
  StubCleaner stubs(root(), {"/proc", "/etc/hosts", "/x/y"});
  fs::create_directories(root() / "proc");
  std::ofstream(root() / "etc/hosts").close();
  fs::create_directories(root() / "x/y");
  stubs.clean();
  EXPECT_FALSE(fs::exists(root() / "proc"));
  EXPECT_FALSE(fs::exists(root() / "etc/hosts"));
  EXPECT_FALSE(fs::exists(root() / "x"));
  EXPECT_TRUE(fs::exists(root() / "etc"));
}

TEST_F(StubCleanerTest, KeepsWhatTheStepWroteThere) {
  StubCleaner stubs(root(), {"/x/y"});
  fs::create_directories(root() / "x/y");
  std::ofstream(root() / "x/y/data") << "kept";
  stubs.clean();
  EXPECT_TRUE(fs::exists(root() / "x/y/data"));
}

TEST_F(StubCleanerTest, SymlinkSwappedParentLeavesHostFilesAlone) {
  // RUN --mount=type=tmpfs,target=/x/y sh -c "mv /x /x.old; ln -s <host dir> /x"
  StubCleaner stubs(root(), {"/x/y", "/x/z"});
  fs::create_directories(root() / "x/y");
  std::ofstream(root() / "x/z").close();
  fs::rename(root() / "x", root() / "x.old");
  fs::create_directory_symlink(host(), root() / "x");
  fs::create_directories(host() / "y");  // an empty host directory and file of the same names
  std::ofstream(host() / "z").close();
  stubs.clean();
  EXPECT_TRUE(fs::exists(host() / "y")) << "the cleanup followed the step's symlink to the host";
  EXPECT_TRUE(fs::exists(host() / "z")) << "the cleanup followed the step's symlink to the host";
}

TEST_F(StubCleanerTest, SymlinkedUpperParentIsNotPruned) {
  StubCleaner stubs(root(), {"/etc/hosts"});
  fs::path upper = dir_.path() / "upper";
  fs::create_directories(upper);
  fs::create_directory_symlink(host(), upper / "etc");  // the step's upper dir points out
  fs::create_directories(host());
  stubs.prune_upper(upper);
  EXPECT_TRUE(fs::exists(host()));
  EXPECT_TRUE(fs::is_symlink(upper / "etc"));
}

TEST_F(StubCleanerTest, PrunesAnUnchangedCopyUpOfAParent) {
  struct stat before {};
  ASSERT_EQ(::lstat((root() / "etc").c_str(), &before), 0);
  StubCleaner stubs(root(), {"/etc/hosts"});
  fs::path upper = dir_.path() / "upper";
  fs::create_directories(upper / "etc");
  ASSERT_EQ(::chmod((upper / "etc").c_str(), before.st_mode & 07777), 0);
  struct timespec times[2] = {before.st_atim, before.st_mtim};
  ASSERT_EQ(::utimensat(AT_FDCWD, (upper / "etc").c_str(), times, 0), 0);
  stubs.prune_upper(upper);
  EXPECT_FALSE(fs::exists(upper / "etc")) << "an unchanged copy-up is no change";
}

}  // namespace
}  // namespace mybuild::builder
