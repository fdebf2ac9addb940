#include "builder/copy/copy_up.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "builder/context/test_util.h"
#include "builder/copy/into.h"
#include "common/temp_dir.h"

namespace mybuild::builder {
namespace {

namespace fs = std::filesystem;

struct stat stat_at(const fs::path& p) {
  struct stat st {};
  EXPECT_EQ(::lstat(p.c_str(), &st), 0) << p;
  return st;
}

// A parent tree with /app (mode 0750, owner 5:6, an xattr, an old mtime) holding a file and a
// directory, a context to copy into it, and an earlier result whose new directory is plain.
class CopyUpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::write(parent() / "app/old.txt", "old");
    testing::write(parent() / "app/src/keep.txt", "keep");
    ASSERT_EQ(::chmod((parent() / "app").c_str(), 0750), 0);
    ASSERT_EQ(::chmod((parent() / "app/src").c_str(), 0700), 0);
    ASSERT_EQ(::lchown((parent() / "app").c_str(), 5, 6), 0);
    has_xattr_ = ::lsetxattr((parent() / "app").c_str(), "user.note", "x", 1, 0) == 0;
    testing::set_mtime(parent() / "app/src", 1500000000);
    testing::set_mtime(parent() / "app", 1600000000);
    testing::write(ctx() / "a.txt", "a");
    testing::write(ctx() / "old.txt", "replaced");
    testing::write(ctx() / "src/new.txt", "new");
    testing::write(ctx() / "lib/l.txt", "l");
    fs::create_directories(earlier() / "app/lib");
    fs::create_directories(upper());
  }

  fs::path parent() const { return dir_.path() / "parent"; }
  fs::path ctx() const { return dir_.path() / "ctx"; }
  fs::path earlier() const { return dir_.path() / "earlier"; }
  fs::path upper() const { return dir_.path() / "upper"; }

  std::optional<std::string> prepare(const std::string& dest = "/app/") {
    context_ = BuildContext::open_directory(ctx(), {});
    sources_ = resolve_copy_sources(*context_, std::vector<std::string>{"."});
    return prepare_upper_like_mount(upper(), {parent(), earlier()}, dest, *context_, sources_);
  }

  common::TempDir dir_{"mybuild-copyup-"};
  std::optional<BuildContext> context_;
  std::vector<CopySource> sources_;
  bool has_xattr_ = false;
};

TEST_F(CopyUpTest, CopiesUpTheDirectoriesTheCopyWritesInAsOverlayWould) {
  ASSERT_EQ(prepare().value_or(""), "");
  const struct stat app = stat_at(upper() / "app");
  EXPECT_EQ(app.st_mode & 07777, 0750u);
  EXPECT_EQ(app.st_uid, 5u);
  EXPECT_EQ(app.st_gid, 6u);
  EXPECT_EQ(app.st_mtim.tv_sec, 1600000000) << "making app/src in it must not show";
  EXPECT_EQ(stat_at(upper() / "app/src").st_mode & 07777, 0700u);
  EXPECT_EQ(stat_at(upper() / "app/src").st_mtim.tv_sec, 1500000000);
  EXPECT_FALSE(fs::exists(upper() / "app/src/keep.txt")) << "a copy-up takes no entries";
  EXPECT_FALSE(fs::exists(upper() / "app/lib")) << "the copy makes that one itself";
  if (has_xattr_) {
    char v[4] = {};
    EXPECT_EQ(::lgetxattr((upper() / "app").c_str(), "user.note", v, sizeof v), 1);
  }
  // The copy then merges: app keeps its owner and mode and takes the context root's times.
  copy_into(upper(), "/app/", *context_, sources_, 1, {});
  EXPECT_EQ(stat_at(upper() / "app").st_uid, 5u);
  EXPECT_EQ(stat_at(upper() / "app").st_mtim.tv_sec, stat_at(ctx()).st_mtim.tv_sec);
  EXPECT_EQ(common::read_file(upper() / "app/old.txt"), "replaced");
}

TEST_F(CopyUpTest, NothingBelowMeansNothingToDo) {
  EXPECT_FALSE(prepare_upper_like_mount(upper(), {{}, earlier()}, "/app/",
                                        BuildContext::open_directory(ctx(), {}),
                                        std::vector<CopySource>{})
                   .has_value());
  fs::create_directories(earlier() / "elsewhere");
  ASSERT_EQ(prepare("/elsewhere/").value_or(""), "") << "a new directory in the parent's root";
  EXPECT_TRUE(fs::is_empty(upper()));
}

TEST_F(CopyUpTest, DeclinesWhatAnUpperDirCannotHoldAlike) {
  struct Case {
    const char* what;
    std::function<void(const fs::path& parent, const fs::path& ctx)> make;
  };
  const std::vector<Case> cases = {
      {"a symlink on the way",
       [](auto& p, auto&) {
         fs::rename(p / "app", p / "real");
         fs::create_directory_symlink("real", p / "app");
       }},
      {"a file where the copy makes a directory",
       [](auto& p, auto&) { testing::write(p / "app/lib", "file"); }},
      {"a directory where the copy makes a file",
       [](auto& p, auto&) { fs::create_directories(p / "app/a.txt"); }},
      {"a symlink where the copy makes a file",
       [](auto& p, auto&) { fs::create_symlink("old.txt", p / "app/a.txt"); }},
      {"a whiteout where the copy makes a file",
       [](auto& p, auto&) {
         ASSERT_EQ(::mknod((p / "app/a.txt").c_str(), S_IFCHR | 0600, makedev(0, 0)), 0);
       }},
      {"a symlink the copy makes over a file",
       [](auto&, auto& c) {
         fs::remove(c / "old.txt");
         fs::create_symlink("a.txt", c / "old.txt");
       }},
  };
  for (const Case& c : cases) {
    common::TempDir scratch("mybuild-copyup-case-");
    fs::copy(parent(), scratch.path() / "parent", fs::copy_options::recursive);
    fs::copy(ctx(), scratch.path() / "ctx",
             fs::copy_options::recursive | fs::copy_options::copy_symlinks);
    fs::create_directories(scratch.path() / "upper");
    c.make(scratch.path() / "parent", scratch.path() / "ctx");
    BuildContext context = BuildContext::open_directory(scratch.path() / "ctx", {});
    const auto sources = resolve_copy_sources(context, std::vector<std::string>{"."});
    const auto why =
        prepare_upper_like_mount(scratch.path() / "upper", {scratch.path() / "parent", earlier()},
                                 "/app/", context, sources);
    EXPECT_TRUE(why.has_value()) << c.what;
  }
}

TEST_F(CopyUpTest, ANewDirectoryInOneOfTheParentsNeedsAPlainTwinInTheEarlierResult) {
  fs::remove(earlier() / "app/lib");
  EXPECT_TRUE(prepare().has_value()) << "no evidence that overlay leaves it plain";
  fs::remove_all(upper());
  fs::create_directories(upper());
  fs::create_directories(earlier() / "app/lib");
  ASSERT_EQ(::lsetxattr((earlier() / "app/lib").c_str(), "trusted.overlay.opaque", "y", 1, 0), 0);
  EXPECT_TRUE(prepare().has_value()) << "overlay made it opaque here";
}

}  // namespace
}  // namespace mybuild::builder
