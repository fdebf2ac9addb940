#include "builder/run/bind_source.h"

#include <gtest/gtest.h>

#include "builder/context/test_util.h"
#include "common/temp_dir.h"

namespace mybuild::builder {
namespace {

namespace fs = std::filesystem;
using testing::write;

class BindSource : public ::testing::Test {
 protected:
  void SetUp() override {
    write(ctx() / ".dockerignore", "secret.env\nsub/key\n");
    write(ctx() / "secret.env", "TOKEN=1\n");
    write(ctx() / "sub/key", "k");
    write(ctx() / "sub/seen.txt", "seen");
    write(ctx() / "clean/a.txt", "a");
    write(ctx() / "file.txt", "hello", 0640);
  }
  fs::path ctx() const { return dir_.path() / "ctx"; }
  common::TempDir dir_{"mybuild-bindsource-"};
};

TEST_F(BindSource, HidesBelowSeesIgnoredEntriesAtAnyDepth) {
  BuildContext context = BuildContext::open_directory(ctx(), {});
  EXPECT_TRUE(hides_below(context, ""));
  EXPECT_TRUE(hides_below(context, "sub"));
  EXPECT_FALSE(hides_below(context, "clean"));
  EXPECT_FALSE(hides_below(context, "file.txt"));
}

TEST_F(BindSource, CopyVisibleLeavesOutIgnoredFilesAndKeepsAFileAFile) {
  BuildContext context = BuildContext::open_directory(ctx(), {});
  common::TempDir scratch("mybuild-bindsource-copy-");
  fs::path tree = copy_visible(context, "sub", scratch.path());
  EXPECT_TRUE(fs::exists(tree / "seen.txt"));
  EXPECT_FALSE(fs::exists(tree / "key"));

  common::TempDir scratch2("mybuild-bindsource-file-");
  fs::path file = copy_visible(context, "file.txt", scratch2.path());
  EXPECT_TRUE(fs::is_regular_file(file));
  EXPECT_EQ(fs::status(file).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
}

}  // namespace
}  // namespace mybuild::builder
