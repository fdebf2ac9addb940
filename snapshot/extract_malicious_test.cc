// Crafted hostile layers: each must end contained (everything inside the root) or with a clear
// error naming the entry; the canary outside the root must never change.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "common/error.h"
#include "common/temp_dir.h"
#include "snapshot/compression.h"
#include "snapshot/extract.h"
#include "snapshot/layer_test_util.h"

namespace mybuild::snapshot {
namespace {

namespace fs = std::filesystem;
using testing::describe_tree;
using testing::TarBuilder;
using testing::write_text;

class MaliciousTar : public ::testing::Test {
 protected:
  void SetUp() override {
    write_text(outside_.path() / "canary", "untouched");
    before_ = describe_tree(outside_.path());
  }
  void TearDown() override {
    EXPECT_EQ(describe_tree(outside_.path()), before_) << "the host was touched";
  }

  // Applies and returns "" or the error message.
  std::string apply(const std::string& tar, ApplyOptions o = {}) {
    try {
      common::StringReader in(tar);
      apply_layer(in, root_.path(), o);
      return "";
    } catch (const common::Error& e) {
      return e.full_message();
    }
  }
  std::string out() const { return outside_.path().string(); }

  common::TempDir root_{"malicious-root-"};
  common::TempDir outside_{"malicious-outside-"};
  std::string before_;
};

TEST_F(MaliciousTar, DotDotIsRefusedNamingTheEntry) {
  std::string err = apply(TarBuilder().file("a/../../escape", "x").take());
  EXPECT_NE(err.find("a/../../escape"), std::string::npos) << err;
  EXPECT_NE(err.find(".."), std::string::npos) << err;
}

TEST_F(MaliciousTar, AbsolutePathLandsInsideTheRoot) {
  EXPECT_EQ(apply(TarBuilder().file(out() + "/canary", "pwned").take()), "");
  EXPECT_TRUE(fs::exists(root_.path() / fs::path(out()).relative_path() / "canary"));
}

TEST_F(MaliciousTar, WriteThroughAbsoluteSymlinkStaysInside) {
  std::string err = apply(TarBuilder().symlink("evil", out()).file("evil/canary", "pwned").take());
  if (err.empty()) {
    EXPECT_TRUE(fs::exists(root_.path() / fs::path(out()).relative_path() / "canary"));
  } else {
    EXPECT_NE(err.find("evil/canary"), std::string::npos) << err;
  }
}

TEST_F(MaliciousTar, WriteThroughRelativeSymlinkChainStaysInside) {
  std::string up = "../../../../../../../../../../..";
  std::string err = apply(TarBuilder()
                              .dir("d")
                              .symlink("d/l1", "../l2")
                              .symlink("l2", up + out())
                              .file("d/l1/canary", "pwned")
                              .file("d/l1/new", "new")
                              .take());
  // The chain ends at a path that does not exist inside the root: a clear error, not a
  // directory made outside.
  EXPECT_NE(err.find("d/l1/canary"), std::string::npos) << err;
  // When the target exists inside the root, the chain resolves there.
  fs::create_directories(root_.path() / fs::path(out()).relative_path());
  EXPECT_EQ(apply(TarBuilder().file("d/l1/new", "new").take()), "");
  EXPECT_TRUE(fs::exists(root_.path() / fs::path(out()).relative_path() / "new"));
}

TEST_F(MaliciousTar, FinalSymlinkIsReplacedNotFollowed) {
  EXPECT_EQ(apply(TarBuilder().symlink("f", out() + "/canary").file("f", "pwned").take()), "");
  EXPECT_FALSE(fs::is_symlink(root_.path() / "f"));
}

TEST_F(MaliciousTar, HardLinkOutsideIsRefusedOrContained) {
  std::string err = apply(TarBuilder().hardlink("h", out() + "/canary").take());
  EXPECT_NE(err.find("\"h\""), std::string::npos) << err;
  err = apply(TarBuilder().hardlink("h2", "../canary").take());
  EXPECT_NE(err.find("h2"), std::string::npos) << err;
  // Through a symlink: resolves inside the root, where there is no canary.
  err = apply(TarBuilder().symlink("s", out()).hardlink("h3", "s/canary").take());
  EXPECT_NE(err.find("h3"), std::string::npos) << err;
}

TEST_F(MaliciousTar, HardLinkThenWriteDoesNotReachOutside) {
  // A hard link to an inside file, then a symlink swap and rewrite: the rewrite replaces the
  // name, it never writes through it.
  EXPECT_EQ(apply(TarBuilder()
                      .file("inside", "a")
                      .hardlink("h", "inside")
                      .symlink("h", out() + "/canary")
                      .file("h", "pwned")
                      .take()),
            "");
  EXPECT_EQ(describe_tree(root_.path(), false).find("canary"), std::string::npos);
}

TEST_F(MaliciousTar, SymlinkReplacedByDirectoryMidArchive) {
  EXPECT_EQ(apply(TarBuilder().symlink("x", out()).dir("x").file("x/canary", "pwned").take()), "");
  EXPECT_TRUE(fs::is_directory(fs::symlink_status(root_.path() / "x")));
  EXPECT_TRUE(fs::exists(root_.path() / "x/canary"));
}

TEST_F(MaliciousTar, WhiteoutThroughSymlinkDeletesNothingOutside) {
  std::string err = apply(TarBuilder().symlink("s", out()).file("s/.wh.canary", "").take());
  EXPECT_TRUE(err.empty() || err.find("s/.wh.canary") != std::string::npos) << err;
  err = apply(TarBuilder().file("../.wh.canary", "").take());
  EXPECT_NE(err.find(".."), std::string::npos) << err;
}

TEST_F(MaliciousTar, AbsurdSizeIsRefusedBeforeWriting) {
  common::StringWriter raw;
  {
    TarWriter w(raw);
    TarEntry e;
    e.path = "huge";
    e.size = int64_t{1} << 40;  // 1 TiB claimed, nothing behind it
    w.add(e);
  }  // dropped unfinished: the stream is just the header
  ApplyOptions o;
  o.limits.max_entry_size = 1 << 20;
  o.layer = "layer sha256:feed";
  std::string err = apply(raw.str(), o);
  EXPECT_NE(err.find("\"huge\""), std::string::npos) << err;
  EXPECT_NE(err.find("layer sha256:feed"), std::string::npos) << err;
  EXPECT_NE(err.find("1 MiB per file"), std::string::npos) << err;
  EXPECT_NE(err.find("MYBUILD_MAX_LAYER_FILE_SIZE"), std::string::npos) << err;
  EXPECT_FALSE(fs::exists(root_.path() / "huge"));  // refused before the file was created
  // With the default limits the truncated data is a clear error too.
  err = apply(raw.str());
  EXPECT_NE(err.find("huge"), std::string::npos) << err;
}

TEST_F(MaliciousTar, TooManyEntriesIsRefused) {
  TarBuilder b;
  for (int i = 0; i < 50; ++i) b.file(std::to_string(i) + ".f", "");
  ApplyOptions o;
  o.limits.max_entries = 20;
  o.layer = "layer sha256:feed";
  std::string err = apply(b.take(), o);
  EXPECT_NE(err.find("layer sha256:feed: more than 20 entries"), std::string::npos) << err;
  EXPECT_NE(err.find("MYBUILD_MAX_LAYER_ENTRIES"), std::string::npos) << err;
}

TEST_F(MaliciousTar, TotalSizeLimit) {
  TarBuilder b;
  for (int i = 0; i < 10; ++i) b.file(std::to_string(i) + ".f", std::string(1000, 'x'));
  ApplyOptions o;
  o.limits.max_total_size = 5000;
  o.expected_diff_id = common::Digest::sha256_of("x");
  std::string err = apply(b.take(), o);
  EXPECT_NE(err.find("layer with diff_id " + o.expected_diff_id->str()), std::string::npos) << err;
  EXPECT_NE(err.find("5000 bytes of file content"), std::string::npos) << err;
  EXPECT_NE(err.find("MYBUILD_MAX_LAYER_SIZE"), std::string::npos) << err;
}

// A few KB of gzip that inflate to megabytes of zeros: stopped by the ratio, early. The floor
// and ratio are lowered so that the bomb stays small enough for a unit test.
TEST_F(MaliciousTar, DecompressionBombIsStoppedByTheRatio) {
  std::string tar = TarBuilder().file("zeros", std::string(8 << 20, '\0')).take();
  common::StringWriter gz;
  auto c = make_compressor(Compression::kGzip, gz);
  c->write(tar);
  c->finish();
  ApplyOptions o;
  o.layer = "layer sha256:b0mb";
  o.limits.ratio_floor = 1 << 20;
  o.limits.max_ratio = 100;
  std::string err = apply(gz.str(), o);
  EXPECT_NE(err.find("layer sha256:b0mb"), std::string::npos) << err;
  EXPECT_NE(err.find("ratio limit of 100:1"), std::string::npos) << err;
  EXPECT_NE(err.find("MYBUILD_MAX_LAYER_RATIO"), std::string::npos) << err;
  // Stopped while inflating: the file never reached its full size.
  if (fs::exists(root_.path() / "zeros")) {
    EXPECT_LT(fs::file_size(root_.path() / "zeros"), 8u << 20);
  }
  // With the ratio check off, the same layer unpacks whole.
  common::TempDir other;
  common::StringReader in(gz.str());
  o.limits.max_ratio = 0;
  EXPECT_NO_THROW(apply_layer(in, other.path(), o));
}

// Each limit can be set from the environment; a malformed value is a usage error naming it.
TEST(ExtractLimits, EnvironmentOverridesDefaults) {
  ::setenv("MYBUILD_MAX_LAYER_ENTRIES", "7", 1);
  ::setenv("MYBUILD_MAX_LAYER_FILE_SIZE", "2M", 1);
  ::setenv("MYBUILD_MAX_LAYER_SIZE", "3G", 1);
  ::setenv("MYBUILD_MAX_LAYER_RATIO", "0", 1);
  ::setenv("MYBUILD_LAYER_RATIO_FLOOR", "1k", 1);
  ApplyOptions o;
  EXPECT_EQ(o.limits.max_entries, 7u);
  EXPECT_EQ(o.limits.max_entry_size, 2 << 20);
  EXPECT_EQ(o.limits.max_total_size, int64_t{3} << 30);
  EXPECT_EQ(o.limits.max_ratio, 0);
  EXPECT_EQ(o.limits.ratio_floor, 1024);
  ::setenv("MYBUILD_MAX_LAYER_SIZE", "lots", 1);
  try {
    ExtractLimits::from_env();
    ADD_FAILURE() << "a malformed limit was accepted";
  } catch (const common::Error& e) {
    EXPECT_EQ(e.kind(), common::ErrorKind::kUsage);
    EXPECT_NE(e.message().find("MYBUILD_MAX_LAYER_SIZE=lots"), std::string::npos) << e.message();
  }
  for (const char* v :
       {"MYBUILD_MAX_LAYER_ENTRIES", "MYBUILD_MAX_LAYER_FILE_SIZE", "MYBUILD_MAX_LAYER_SIZE",
        "MYBUILD_MAX_LAYER_RATIO", "MYBUILD_LAYER_RATIO_FLOOR"}) {
    ::unsetenv(v);
  }
  ExtractLimits d = ExtractLimits::from_env();
  EXPECT_EQ(d.max_entries, 5'000'000u);
  EXPECT_EQ(d.max_ratio, 1000);
}

TEST_F(MaliciousTar, ForgedOverlayXattrsAreDropped) {
  if (::geteuid() != 0) GTEST_SKIP() << "trusted.* xattrs need root";
  TarEntry e = TarBuilder::make("d", TarEntry::Type::kDir, 0755, "");
  e.xattrs = {{"trusted.overlay.opaque", "y"}, {"trusted.overlay.redirect", "/etc"}};
  EXPECT_EQ(apply(TarBuilder().entry(e).take()), "");
  char v[8];
  EXPECT_LT(::getxattr((root_.path() / "d").c_str(), "trusted.overlay.opaque", v, sizeof v), 0);
  EXPECT_LT(::getxattr((root_.path() / "d").c_str(), "trusted.overlay.redirect", v, sizeof v), 0);
}

TEST_F(MaliciousTar, DeviceNodesWhenUnprivilegedAreSkipped) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to drop to an unprivileged user";
  TarEntry dev = TarBuilder::make("sda", TarEntry::Type::kBlock, 0666, "");
  dev.dev_major = 8;
  std::string tar = TarBuilder().entry(dev).file("after", "ok").take();
  ASSERT_EQ(::chown(root_.path().c_str(), 65534, 65534), 0);
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(3);
    try {
      common::StringReader in(tar);
      apply_layer(in, root_.path());
    } catch (...) {
      ::_exit(1);
    }
    ::_exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_FALSE(fs::exists(fs::symlink_status(root_.path() / "sda")));
  EXPECT_TRUE(fs::exists(root_.path() / "after"));
}

TEST_F(MaliciousTar, GarbageIsAnIntegrityError) {
  std::string err = apply(std::string(4096, 'G'));
  EXPECT_FALSE(err.empty());
}

}  // namespace
}  // namespace mybuild::snapshot
