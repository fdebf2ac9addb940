#include "sandbox/user.h"

#include <gtest/gtest.h>

#include "common/error.h"

namespace mybuild::sandbox {
namespace {

constexpr const char* kPasswd =
    "root:x:0:0:root:/root:/bin/sh\n"
    "# a comment\n"
    "app:x:1000:1001:app:/home/app:/bin/sh\n"
    "broken line\n";
constexpr const char* kGroup =
    "root:x:0:\n"
    "appgrp:x:1001:\n"
    "staff:x:50:app,other\n"
    "audio:x:29:app\n"
    "wheel:x:10:root\n";

TEST(ResolveUser, EmptyIsRoot) {
  auto u = resolve_user("", kPasswd, kGroup);
  EXPECT_EQ(u.uid, 0u);
  EXPECT_EQ(u.gid, 0u);
  EXPECT_EQ(u.groups, (std::vector<uint32_t>{0, 10}));
  EXPECT_EQ(u.home, "/root");
}

TEST(ResolveUser, NameGivesPrimaryGroupAndSupplementaryGroups) {
  auto u = resolve_user("app", kPasswd, kGroup);
  EXPECT_EQ(u.uid, 1000u);
  EXPECT_EQ(u.gid, 1001u);
  EXPECT_EQ(u.groups, (std::vector<uint32_t>{1001, 50, 29}))
      << "the primary gid is a supplementary group too, as runc/BuildKit make it";
  EXPECT_EQ(u.home, "/home/app");
}

TEST(ResolveUser, NumericUidFoundOrNot) {
  EXPECT_EQ(resolve_user("1000", kPasswd, kGroup).gid, 1001u);
  auto unknown = resolve_user("4242", kPasswd, kGroup);
  EXPECT_EQ(unknown.uid, 4242u);
  EXPECT_EQ(unknown.gid, 0u);
  EXPECT_EQ(unknown.groups, std::vector<uint32_t>{0});
}

TEST(ResolveUser, ExplicitGroupByNameOrNumberAndNoSupplementary) {
  auto by_name = resolve_user("app:staff", kPasswd, kGroup);
  EXPECT_EQ(by_name.gid, 50u);
  EXPECT_EQ(by_name.groups, std::vector<uint32_t>{50}) << "only the explicit group";
  EXPECT_EQ(resolve_user("1000:7", kPasswd, kGroup).groups, std::vector<uint32_t>{7});
}

TEST(ResolveUser, UnknownNamesAreErrorsLikeDocker) {
  try {
    resolve_user("nobody", kPasswd, kGroup);
    FAIL() << "expected an error";
  } catch (const common::Error& e) {
    EXPECT_EQ(e.kind(), common::ErrorKind::kSandbox);
    EXPECT_EQ(e.message(), "unable to find user nobody: no matching entries in passwd file");
  }
  EXPECT_THROW(resolve_user("app:nogroup", kPasswd, kGroup), common::Error);
  EXPECT_THROW(resolve_user("app", "", ""), common::Error);
}

TEST(ResolveUser, NoUserIsRootEvenWithoutPasswd) {
  auto u = resolve_user("", "", "");
  EXPECT_EQ(u.uid, 0u);
  EXPECT_EQ(u.gid, 0u);
}

}  // namespace
}  // namespace mybuild::sandbox
