#include "snapshot/mount_table.h"

#include <gtest/gtest.h>

#include "common/error.h"

namespace mybuild::snapshot {
namespace {

constexpr std::string_view kSample =
    "21 26 0:20 / /proc rw,relatime - proc proc rw\n"
    "26 1 254:0 / / rw,relatime shared:1 master:2 - ext4 /dev/vda rw,discard\n"
    "90 26 0:50 / /var/lib/my\\040root/snapshots/overlay/7/rootfs rw - overlay overlay "
    "rw,lowerdir=5/fs:4/fs,upperdir=/a\\134b,workdir=/w\n"
    "91 90 0:51 /sub /var/lib/my\\040root/snapshots/overlay/7/rootfs/proc rw - proc proc rw\n"
    "92 26 0:52 / /var/lib/my\\040root2 rw - tmpfs tmpfs rw\n";

TEST(MountTableTest, ParsesFieldsOptionalTagsAndEscapes) {
  auto table = parse_mountinfo(kSample);
  ASSERT_EQ(table.size(), 5u);
  EXPECT_EQ(table[0].id, 21);
  EXPECT_EQ(table[0].parent_id, 26);
  EXPECT_EQ(table[0].mount_point, "/proc");
  EXPECT_EQ(table[1].fs_type, "ext4") << "optional fields (shared:, master:) are skipped";
  EXPECT_EQ(table[1].source, "/dev/vda");
  EXPECT_EQ(table[2].mount_point, "/var/lib/my root/snapshots/overlay/7/rootfs");
  EXPECT_EQ(table[2].super_options, "rw,lowerdir=5/fs:4/fs,upperdir=/a\\b,workdir=/w");
  EXPECT_EQ(table[3].root, "/sub");
}

TEST(MountTableTest, MalformedLinesAreErrors) {
  EXPECT_THROW(parse_mountinfo("21 26 0:20 / /proc rw proc proc rw\n"), common::Error);
  EXPECT_THROW(parse_mountinfo("x 26 0:20 / /proc rw - proc proc rw\n"), common::Error);
}

TEST(MountTableTest, MountsUnderAreDeepestFirstAndRespectPathBoundaries) {
  auto table = parse_mountinfo(kSample);
  auto under = mounts_under(table, "/var/lib/my root");
  ASSERT_EQ(under.size(), 2u) << "/var/lib/my root2 is not below /var/lib/my root";
  EXPECT_EQ(under[0].id, 91);
  EXPECT_EQ(under[1].id, 90);
  EXPECT_EQ(mounts_under(table, "/var/lib/my root/").size(), 2u);
  EXPECT_EQ(mounts_under(table, "/").size(), 5u);
}

TEST(MountTableTest, ReadsThisProcessTable) {
  auto table = read_mountinfo();
  ASSERT_FALSE(table.empty());
  bool has_root = false;
  for (const auto& e : table) has_root = has_root || e.mount_point == "/";
  EXPECT_TRUE(has_root);
}

}  // namespace
}  // namespace mybuild::snapshot
