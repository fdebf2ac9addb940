#include "snapshot/overlay_snapshotter.h"

#include <unistd.h>

#include "snapshot/snapshotter_suite.h"

namespace mybuild::snapshot::testing {

struct OverlayDriver {
  static constexpr const char* kName = "overlay";
};
INSTANTIATE_TYPED_TEST_SUITE_P(Overlay, SnapshotterSuite, OverlayDriver);

using OverlaySnapshotterTest = SnapshotterSuite<OverlayDriver>;

// 130 layers with absolute lowerdir paths overflow mount(2)'s one-page option limit; the
// mount still works (relative paths from the snapshots directory) and shows every layer.
TEST_F(OverlaySnapshotterTest, ChainDeeperThanThePageLimitMounts) {
  auto& s = *s_;
  constexpr int kLayers = 130;
  std::string parent;
  for (int i = 0; i < kLayers; ++i) {
    // Written straight into the upper dir, as the layer applier's fast path does: mounting
    // and unmounting 130 overlays (each umount syncs the upper filesystem) would cost ~10 s.
    // (Strings built with += : GCC 12 -O3 gives a false -Wrestrict on "lit" + std::string.)
    std::string name = "layer-", file = "f";
    name += std::to_string(i);
    file += std::to_string(i);
    s.prepare(name + "-active", parent);
    write_text(s.dir(name + "-active") / file, name);
    s.commit(name, name + "-active");
    parent = name;
  }
  auto mounts = s.prepare("top", parent);
  ASSERT_EQ(mounts.size(), 1u);
  size_t option_bytes = 0;
  for (const auto& o : mounts[0].options) option_bytes += o.size() + 1;
  EXPECT_GT(option_bytes, static_cast<size_t>(::sysconf(_SC_PAGESIZE)))
      << "the chain is not deep enough to test the page limit";
  MountGuard m(mounts, s.mount_point("top"));
  EXPECT_EQ(read_text(m.target() / "f0"), "layer-0");
  EXPECT_EQ(read_text(m.target() / "f129"), "layer-129");
  write_text(m.target() / "f0", "mine");
  EXPECT_EQ(read_text(s.dir("top") / "f0"), "mine") << "writes go to the upper dir";
  EXPECT_EQ(*s.upper_dir("top"), s.dir("top"));
}

TEST_F(OverlaySnapshotterTest, SingleLayerViewIsAReadOnlyBind) {
  layer("l1", "", [](const auto& root) { write_text(root / "a", "x"); });
  auto mounts = s_->view("v", "l1");
  ASSERT_EQ(mounts.size(), 1u);
  EXPECT_EQ(mounts[0].type, "bind");
  EXPECT_EQ(mounts[0].source, s_->dir("l1").string());
  EXPECT_NE(std::find(mounts[0].options.begin(), mounts[0].options.end(), "ro"),
            mounts[0].options.end());
}

}  // namespace mybuild::snapshot::testing
