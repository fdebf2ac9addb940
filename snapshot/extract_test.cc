#include "snapshot/extract.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <string>

#include "common/error.h"
#include "common/io.h"
#include "common/temp_dir.h"
#include "snapshot/layer_test_util.h"
#include "snapshot/layer_writer.h"

namespace mybuild::snapshot {
namespace {

namespace fs = std::filesystem;
using testing::describe_tree;
using testing::set_mtime;
using testing::TarBuilder;
using testing::write_text;

bool is_root() { return ::geteuid() == 0; }

// A tree with every kind of entry; devices, owners and security.capability only as root.
void make_full_tree(const fs::path& root) {
  write_text(root / "etc/passwd", "root:x:0:0\n");
  write_text(root / "bin/tool", "#!/bin/sh\n", 04755);
  fs::create_symlink("/etc/passwd", root / "bin/abs-link");
  fs::create_symlink("tool", root / "bin/rel-link");
  ::link((root / "bin/tool").c_str(), (root / "bin/tool-hard").c_str());
  ::mkfifo((root / "run-fifo").c_str(), 0640);
  fs::create_directories(root / "empty");
  ::chmod((root / "empty").c_str(), 01777);
  if (is_root()) {
    ::mknod((root / "null").c_str(), S_IFCHR | 0666, makedev(1, 3));
    ::mknod((root / "blk").c_str(), S_IFBLK | 0600, makedev(7, 0));
    ::lchown((root / "etc/passwd").c_str(), 1234, 5678);
    ::lchown((root / "bin/abs-link").c_str(), 42, 43);
    // security.capability v2: cap_net_bind_service, effective.
    const unsigned char cap[20] = {0, 0, 0, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    ::setxattr((root / "bin/tool").c_str(), "security.capability", cap, sizeof cap, 0);
    ::setxattr((root / "etc").c_str(), "trusted.mybuild", "t", 1, 0);
  }
  ::setxattr((root / "etc/passwd").c_str(), "user.note", "hello", 5, 0);
  int64_t t = 1600000000;
  for (const char* p : {"etc/passwd", "bin/tool", "bin/abs-link", "bin/rel-link", "run-fifo",
                        "empty", "etc", "bin"}) {
    set_mtime(root / p, t++);
  }
}

std::string layer_of(const fs::path& root, Compression c = Compression::kGzip) {
  common::StringWriter out;
  LayerOptions o;
  o.compression = c;
  write_tree_layer(root, out, o);
  return out.take();
}

ApplyResult unpack(const std::string& blob, const fs::path& root, ApplyOptions o = {}) {
  common::StringReader in(blob);
  return apply_layer(in, root, o);
}

TEST(ApplyLayer, RoundTripKeepsEveryKindOfEntry) {
  common::TempDir src("apply-src-"), dst("apply-dst-");
  make_full_tree(src.path());
  for (Compression c : {Compression::kGzip, Compression::kZstd, Compression::kNone}) {
    common::TempDir out("apply-out-");
    std::string blob = layer_of(src.path(), c);
    ApplyResult r = unpack(blob, out.path());
    EXPECT_EQ(describe_tree(out.path()), describe_tree(src.path())) << to_string(c);
    EXPECT_GE(r.entries, 10u);
    // The diff_id apply reports is the one the writer computed.
    common::StringWriter again;
    LayerOptions o;
    o.compression = c;
    Layer l = write_tree_layer(src.path(), again, o);
    EXPECT_EQ(r.diff_id, l.diff_id);
  }
  struct stat a {
  }, b{};
  common::TempDir out("apply-out-");
  unpack(layer_of(src.path()), out.path());
  ::stat((out.path() / "bin/tool").c_str(), &a);
  ::stat((out.path() / "bin/tool-hard").c_str(), &b);
  EXPECT_EQ(a.st_ino, b.st_ino);
  EXPECT_EQ(a.st_mode & 07777, 04755u);
}

// Content larger than the read buffers, in every compression: each byte lands where it belongs.
// (A shared input/output buffer once shifted the content of every file spanning a read.)
TEST(ApplyLayer, LargeFilesKeepTheirExactBytes) {
  common::TempDir src("apply-src-");
  std::string big(3 * 1024 * 1024 + 12345, '\0');
  uint32_t x = 12345;
  for (auto& ch : big) {
    x = x * 1103515245u + 12345u;
    ch = static_cast<char>(x >> 24);
  }
  write_text(src.path() / "small", "before");
  write_text(src.path() / "big.bin", big);
  write_text(src.path() / "z-after", "after");
  for (Compression c : {Compression::kGzip, Compression::kZstd, Compression::kNone}) {
    common::TempDir out("apply-out-");
    unpack(layer_of(src.path(), c), out.path());
    EXPECT_TRUE(common::read_file(out.path() / "big.bin", 1 << 30) == big) << to_string(c);
    EXPECT_EQ(common::read_file(out.path() / "z-after", 100), "after") << to_string(c);
  }
}

TEST(ApplyLayer, ExpectedDiffIdIsVerified) {
  common::TempDir src("apply-src-"), out("apply-out-");
  write_text(src.path() / "f", "data");
  ApplyOptions o;
  o.expected_diff_id = common::Digest::sha256_of("something else");
  try {
    unpack(layer_of(src.path()), out.path(), o);
    FAIL() << "diff_id mismatch not detected";
  } catch (const common::Error& e) {
    EXPECT_EQ(e.kind(), common::ErrorKind::kIntegrity);
    EXPECT_NE(std::string(e.what()).find("diff_id mismatch"), std::string::npos) << e.what();
  }
}

// Whiteouts across three layers: base, a layer deleting and making opaque, a layer re-adding.
TEST(ApplyLayer, WhiteoutsAndOpaqueDirsAcrossThreeLayers) {
  common::TempDir root("apply-root-");
  unpack(TarBuilder()
             .dir("a")
             .file("a/keep", "k")
             .file("a/gone", "g")
             .dir("o")
             .file("o/old1", "1")
             .dir("o/sub")
             .file("o/sub/old2", "2")
             .file("top", "t")
             .take(),
         root.path());
  unpack(TarBuilder()
             .dir("a")
             .file("a/.wh.gone", "")
             .dir("o")
             .file("o/.wh..wh..opq", "")
             .file("o/new", "n")
             .file(".wh.top", "")
             .take(),
         root.path());
  EXPECT_TRUE(fs::exists(root.path() / "a/keep"));
  EXPECT_FALSE(fs::exists(root.path() / "a/gone"));
  EXPECT_FALSE(fs::exists(root.path() / "a/.wh.gone"));
  EXPECT_FALSE(fs::exists(root.path() / "o/old1"));
  EXPECT_FALSE(fs::exists(root.path() / "o/sub"));
  EXPECT_TRUE(fs::exists(root.path() / "o/new"));
  EXPECT_FALSE(fs::exists(root.path() / "o/.wh..wh..opq"));
  EXPECT_FALSE(fs::exists(root.path() / "top"));
  unpack(TarBuilder().file("top", "back").dir("a").file("a/.wh.keep", "").take(), root.path());
  EXPECT_TRUE(fs::exists(root.path() / "top"));
  EXPECT_FALSE(fs::exists(root.path() / "a/keep"));
  EXPECT_TRUE(fs::is_directory(root.path() / "a"));
}

TEST(ApplyLayer, OverlayModeWritesWhiteoutDevicesAndOpaqueXattr) {
  if (!is_root()) GTEST_SKIP() << "overlay whiteouts need CAP_MKNOD and trusted.* xattrs (root)";
  common::TempDir root("apply-ovl-");
  ApplyOptions o;
  o.whiteouts = WhiteoutMode::kOverlay;
  unpack(
      TarBuilder().dir("d").file("d/.wh..wh..opq", "").file("d/x", "x").file(".wh.gone", "").take(),
      root.path(), o);
  struct stat st {};
  ASSERT_EQ(::lstat((root.path() / "gone").c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(st.st_rdev, makedev(0, 0));
  char v[4] = {};
  EXPECT_EQ(::getxattr((root.path() / "d").c_str(), "trusted.overlay.opaque", v, sizeof v), 1);
  EXPECT_EQ(v[0], 'y');
  EXPECT_TRUE(fs::exists(root.path() / "d/x"));
}

TEST(ApplyLayer, DuplicateEntriesLastOneWins) {
  common::TempDir root("apply-dup-");
  unpack(TarBuilder()
             .file("f", "first")
             .file("f", "second")
             .dir("d")
             .file("d/x", "x")
             .dir("d", 0700)
             .symlink("s", "f")
             .file("s", "plain now")
             .take(),
         root.path());
  EXPECT_EQ(
      testing::describe_tree(root.path(), false).find("f mode=33188 uid=") != std::string::npos,
      true);
  std::string desc = describe_tree(root.path(), false);
  EXPECT_NE(desc.find("f mode=33188"), std::string::npos) << desc;
  EXPECT_NE(desc.find("data=second"), std::string::npos) << desc;
  EXPECT_NE(desc.find("d mode=16832"), std::string::npos) << desc;  // 0700 dir, kept contents
  EXPECT_TRUE(fs::exists(root.path() / "d/x"));
  EXPECT_FALSE(fs::is_symlink(root.path() / "s"));
  EXPECT_NE(desc.find("data=plain now"), std::string::npos) << desc;
}

TEST(ApplyLayer, HardLinkToTheFileAlreadyAtItsNameKeepsIt) {
  // GNU tar --append of a path listed twice writes "usr/bin/git link to usr/bin/git".
  common::TempDir root("apply-selflink-");
  unpack(TarBuilder()
             .file("bin/tool", "binary")
             .hardlink("bin/tool", "bin/tool")
             .hardlink("bin/alias", "bin/tool")
             .hardlink("bin/alias", "bin/tool")
             .take(),
         root.path());
  EXPECT_EQ(common::read_file(root.path() / "bin/tool"), "binary");
  EXPECT_EQ(fs::hard_link_count(root.path() / "bin/tool"), 2u);
  EXPECT_TRUE(fs::equivalent(root.path() / "bin/tool", root.path() / "bin/alias"));
}

TEST(ApplyLayer, ComponentWalkFallbackGivesTheSameTree) {
  common::TempDir src("apply-src-"), a("apply-a-"), b("apply-b-");
  make_full_tree(src.path());
  std::string blob = layer_of(src.path());
  unpack(blob, a.path());
  ApplyOptions o;
  o.resolver = RootDir::Resolver::kComponentWalk;
  unpack(blob, b.path(), o);
  EXPECT_EQ(describe_tree(a.path()), describe_tree(b.path()));
}

}  // namespace
}  // namespace mybuild::snapshot
