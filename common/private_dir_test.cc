#include "common/private_dir.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "common/error.h"
#include "common/temp_dir.h"

namespace mybuild::common {
namespace {

mode_t mode_of(const std::filesystem::path& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
  return st.st_mode & 07777;
}

// Restores the umask a test changed, whatever happens.
struct UmaskGuard {
  explicit UmaskGuard(mode_t m) : old(::umask(m)) {}
  ~UmaskGuard() { ::umask(old); }
  mode_t old;
};

TEST(PrivateDir, CreatedExactly0700WhateverTheUmask) {
  TempDir dir;
  for (mode_t mask : {0000, 0022, 0277}) {
    UmaskGuard g(mask);
    auto p = dir.path() / std::to_string(mask) / "root";
    EXPECT_TRUE(create_private_dir(p));
    EXPECT_EQ(mode_of(p), 0700u) << "umask " << mask;
    EXPECT_FALSE(create_private_dir(p));
  }
}

TEST(PrivateDir, ExistingLooserDirIsTightenedWithAWarning) {
  TempDir dir;
  auto p = dir.path() / "root";
  ASSERT_EQ(::mkdir(p.c_str(), 0755), 0);
  ::chmod(p.c_str(), 0755);
  ::testing::internal::CaptureStderr();
  ensure_private_dir(p);
  std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(mode_of(p), 0700u);
  EXPECT_NE(err.find("0755"), std::string::npos) << err;
  EXPECT_NE(err.find(p.string()), std::string::npos) << err;
  ::testing::internal::CaptureStderr();
  ensure_private_dir(p);  // already private: quiet
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
}

TEST(PrivateDir, ExistingStricterDirIsLeftAlone) {
  TempDir dir;
  auto p = dir.path() / "root";
  ASSERT_EQ(::mkdir(p.c_str(), 0500), 0);
  ensure_private_dir(p);
  EXPECT_EQ(mode_of(p), 0500u);
}

TEST(PrivateDir, AFileInTheWayIsAnError) {
  TempDir dir;
  auto p = dir.path() / "root";
  std::FILE* f = std::fopen(p.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fclose(f);
  EXPECT_THROW(ensure_private_dir(p), Error);
}

}  // namespace
}  // namespace mybuild::common
