#include "snapshot/native_snapshotter.h"

#include "snapshot/snapshotter_suite.h"

namespace mybuild::snapshot::snapshotter_testing {

struct NativeDriver {
  static constexpr const char* kName = "native";
};
INSTANTIATE_TYPED_TEST_SUITE_P(Native, SnapshotterSuite, NativeDriver);

using NativeSnapshotterTest = SnapshotterSuite<NativeDriver>;

TEST_F(NativeSnapshotterTest, ActiveSnapshotIsAPrivateCopy) {
  layer("l1", "", [](const auto& root) { write_text(root / "a", "parent"); });
  auto mounts = s_->prepare("child", "l1");
  ASSERT_EQ(mounts.size(), 1u);
  EXPECT_EQ(mounts[0].type, "bind");
  EXPECT_EQ(mounts[0].source, s_->dir("child").string());
  write_text(s_->dir("child") / "a", "child");
  EXPECT_EQ(read_text(s_->dir("l1") / "a"), "parent") << "the child wrote through to its parent";
  EXPECT_FALSE(s_->upper_dir("child")) << "native has no upper dir to diff";
}

}  // namespace mybuild::snapshot::snapshotter_testing
