#include "snapshot/diff.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <string>

#include "common/temp_dir.h"
#include "snapshot/extract.h"
#include "snapshot/layer_test_util.h"

namespace mybuild::snapshot {
namespace {

namespace fs = std::filesystem;
using testing::describe_tree;
using testing::set_mtime;
using testing::write_text;

constexpr int64_t kT1 = 1600000000;
constexpr int64_t kT2 = 1700000000;

void make_lower(const fs::path& r) {
  write_text(r / "a/f", "old f");
  write_text(r / "a/g", "to delete");
  write_text(r / "a/same", "same");
  write_text(r / "keep/k", "k");
  write_text(r / "gone/inner", "i");
  write_text(r / "x", "a file that becomes a directory");
  write_text(r / "m", "mode change", 0644);
  for (const char* p :
       {"a/f", "a/g", "a/same", "keep/k", "gone/inner", "x", "m", "a", "keep", "gone"}) {
    set_mtime(r / p, kT1);
  }
}

// The change, applied to a full copy (the native snapshotter's view of the result).
void make_upper_tree(const fs::path& r) {
  make_lower(r);
  write_text(r / "a/f", "new f, longer");
  fs::remove(r / "a/g");
  write_text(r / "a/new", "new");
  fs::remove_all(r / "gone");
  fs::remove(r / "x");
  write_text(r / "x/y", "y");
  ::chmod((r / "m").c_str(), 0600);
  for (const char* p : {"a/f", "a/new", "x/y", "x", "a"}) set_mtime(r / p, kT2);
}

// The same change as overlayfs records it in an upper dir: copied-up parents, 0/0 whiteouts,
// an opaque directory where a directory replaced a file.
void make_overlay_upper(const fs::path& r) {
  write_text(r / "a/f", "new f, longer");
  write_text(r / "a/new", "new");
  ASSERT_EQ(::mknod((r / "a/g").c_str(), S_IFCHR, makedev(0, 0)), 0);
  ASSERT_EQ(::mknod((r / "gone").c_str(), S_IFCHR, makedev(0, 0)), 0);
  write_text(r / "x/y", "y");
  ASSERT_EQ(::setxattr((r / "x").c_str(), "trusted.overlay.opaque", "y", 1, 0), 0);
  write_text(r / "m", "mode change", 0600);
  set_mtime(r / "m", kT1);
  for (const char* p : {"a/f", "a/new", "x/y", "x", "a"}) set_mtime(r / p, kT2);
}

TEST(Diff, OverlayFastPathAndGenericPathGiveTheSameLayer) {
  if (::geteuid() != 0) GTEST_SKIP() << "overlay whiteouts need mknod and trusted.* (root)";
  common::TempDir lower("diff-lower-"), upper_tree("diff-upper-"), ovl("diff-ovl-");
  make_lower(lower.path());
  make_upper_tree(upper_tree.path());
  make_overlay_upper(ovl.path());

  common::StringWriter fast_out, slow_out;
  LayerOptions o;
  Layer fast = diff_overlay_upper(ovl.path(), fast_out, o);
  Layer slow = diff_trees(lower.path(), upper_tree.path(), slow_out, o);
  EXPECT_EQ(fast.diff_id, slow.diff_id);
  EXPECT_EQ(fast.descriptor.digest, slow.descriptor.digest);

  // And the layer does what it says: lower + layer == upper tree.
  common::TempDir applied("diff-applied-");
  common::StringWriter base_out;
  write_tree_layer(lower.path(), base_out, o);
  common::StringReader base_in(base_out.str());
  apply_layer(base_in, applied.path());
  common::StringReader diff_in(fast_out.str());
  apply_layer(diff_in, applied.path());
  EXPECT_EQ(describe_tree(applied.path()), describe_tree(upper_tree.path()));
}

TEST(Diff, GenericPathFindsOnlyWhatChanged) {
  common::TempDir lower("diff-lower-"), upper("diff-upper-");
  make_lower(lower.path());
  make_lower(upper.path());
  common::StringWriter out;
  LayerOptions o;
  o.compression = Compression::kNone;
  diff_trees(lower.path(), upper.path(), out, o);
  EXPECT_EQ(out.str(), std::string(1024, '\0'));  // just the end-of-archive blocks

  // Same size, same whole-second mtime, different bytes: found by comparing content.
  write_text(upper.path() / "a/same", "SAME");
  set_mtime(upper.path() / "a/same", kT1);
  set_mtime(upper.path() / "a", kT1);
  common::StringWriter out2;
  diff_trees(lower.path(), upper.path(), out2, o);
  EXPECT_NE(out2.str().find("a/same"), std::string::npos);
  EXPECT_NE(out2.str().find("a/"), std::string::npos);  // its parent goes first
  EXPECT_EQ(out2.str().find("keep/"), std::string::npos);
}

TEST(Diff, OpaqueDirectorySemanticsMatchTheGenericDeletions) {
  if (::geteuid() != 0) GTEST_SKIP() << "trusted.overlay.opaque needs root";
  // Overlay says "o is opaque, holds n"; the generic walk says "o/old deleted, o/n added".
  // Different bytes, same meaning: both applied on the lower give the same tree.
  common::TempDir lower("diff-lower-"), upper("diff-upper-"), ovl("diff-ovl-");
  for (const fs::path& r : {lower.path(), upper.path()}) {
    write_text(r / "o/old", "old");
    write_text(r / "o/sub/deep", "deep");
    set_mtime(r / "o/old", kT1);
    set_mtime(r / "o/sub/deep", kT1);
    set_mtime(r / "o/sub", kT1);
    set_mtime(r / "o", kT1);
  }
  fs::remove_all(upper.path() / "o");
  write_text(upper.path() / "o/n", "n");
  write_text(ovl.path() / "o/n", "n");
  ASSERT_EQ(::setxattr((ovl.path() / "o").c_str(), "trusted.overlay.opaque", "y", 1, 0), 0);
  for (const fs::path& r : {upper.path(), ovl.path()}) {
    set_mtime(r / "o/n", kT2);
    set_mtime(r / "o", kT2);
  }
  std::string results[2];
  for (int i = 0; i < 2; ++i) {
    common::StringWriter d;
    LayerOptions o;
    if (i == 0) {
      diff_overlay_upper(ovl.path(), d, o);
    } else {
      diff_trees(lower.path(), upper.path(), d, o);
    }
    common::TempDir applied("diff-applied-");
    common::StringWriter base;
    write_tree_layer(lower.path(), base, o);
    common::StringReader bin(base.str()), din(d.str());
    apply_layer(bin, applied.path());
    apply_layer(din, applied.path());
    results[i] = describe_tree(applied.path());
  }
  EXPECT_EQ(results[0], results[1]);
  EXPECT_EQ(results[0], describe_tree(upper.path()));
}

}  // namespace
}  // namespace mybuild::snapshot
