#include "builder/context/root.h"

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "builder/context/test_util.h"
#include "common/error.h"
#include "common/temp_dir.h"

namespace mybuild::builder {
namespace {

using testing::write;

ContextOptions with_filter(std::filesystem::path dockerfile = {}) {
  return {.dockerfile = std::move(dockerfile), .filter_factory = testing::prefix_filter_factory()};
}

class ContextRoot : public ::testing::Test {
 protected:
  common::TempDir dir_{"mybuild-ctxroot-"};
  std::filesystem::path root_ = dir_.path();
};

TEST_F(ContextRoot, MissingDirectoryIsNotFound) {
  try {
    BuildContext::open_directory(root_ / "nope", {});
    FAIL();
  } catch (const common::Error& e) {
    EXPECT_EQ(e.kind(), common::ErrorKind::kNotFound);
    EXPECT_NE(e.message().find("nope"), std::string::npos);
  }
}

TEST_F(ContextRoot, ContextDockerignoreApplies) {
  write(root_ / "Dockerfile", "FROM scratch");
  write(root_ / ".dockerignore", "secret\n");
  write(root_ / "secret", "s");
  write(root_ / "public", "p");
  BuildContext ctx = BuildContext::open_directory(root_, with_filter());
  ASSERT_TRUE(ctx.ignore_file());
  EXPECT_EQ(ctx.ignore_file()->filename(), ".dockerignore");
  // The Dockerfile and .dockerignore are ordinary files of the context.
  EXPECT_EQ(ctx.list(""), (std::vector<std::string>{".dockerignore", "Dockerfile", "public"}));
  EXPECT_FALSE(ctx.resolve("secret"));
}

TEST_F(ContextRoot, DockerfileOwnIgnoreFileWinsOverTheContextOne) {
  write(root_ / "build/app.Dockerfile", "FROM scratch");
  write(root_ / "build/app.Dockerfile.dockerignore", "b\n");
  write(root_ / ".dockerignore", "a\n");
  write(root_ / "a", "a");
  write(root_ / "b", "b");
  BuildContext ctx = BuildContext::open_directory(root_, with_filter("build/app.Dockerfile"));
  ASSERT_TRUE(ctx.ignore_file());
  EXPECT_EQ(ctx.ignore_file()->filename(), "app.Dockerfile.dockerignore");
  EXPECT_TRUE(ctx.resolve("a"));  // the context's .dockerignore is not read at all
  EXPECT_FALSE(ctx.resolve("b"));
}

TEST_F(ContextRoot, DockerfileOutsideTheContextStillFindsItsIgnoreFile) {
  common::TempDir elsewhere("mybuild-df-");
  write(elsewhere.path() / "x.Dockerfile", "FROM scratch");
  write(elsewhere.path() / "x.Dockerfile.dockerignore", "a\n");
  write(root_ / "a", "a");
  BuildContext ctx =
      BuildContext::open_directory(root_, with_filter(elsewhere.path() / "x.Dockerfile"));
  EXPECT_FALSE(ctx.resolve("a"));
}

// The default matcher is the parser's, with Docker's pattern language.
TEST_F(ContextRoot, DefaultMatcherSpeaksDockerPatterns) {
  write(root_ / ".dockerignore", "# logs\n**/*.log\n!keep/*.log\n/build\n");
  write(root_ / "a/b/x.log", "x");
  write(root_ / "keep/y.log", "y");
  write(root_ / "build/out", "o");
  write(root_ / "src/build", "not the root one");
  BuildContext ctx = BuildContext::open_directory(root_, {});
  EXPECT_FALSE(ctx.resolve("a/b/x.log"));
  EXPECT_TRUE(ctx.resolve("keep/y.log"));
  EXPECT_FALSE(ctx.resolve("build/out"));
  EXPECT_TRUE(ctx.resolve("src/build"));
}

TEST_F(ContextRoot, MalformedIgnorePatternNamesTheFile) {
  write(root_ / ".dockerignore", "!\n");
  try {
    BuildContext::open_directory(root_, {});
    FAIL();
  } catch (const common::Error& e) {
    EXPECT_EQ(e.kind(), common::ErrorKind::kDockerfile);
    EXPECT_NE(e.full_message().find(".dockerignore"), std::string::npos) << e.full_message();
  }
}

TEST_F(ContextRoot, ExcludedDirectoryWithReincludedChildStaysVisible) {
  write(root_ / ".dockerignore", "vendor\n!vendor/keep/me.txt\n");
  write(root_ / "vendor/drop.txt", "d");
  write(root_ / "vendor/keep/me.txt", "k");
  BuildContext ctx = BuildContext::open_directory(root_, with_filter());
  EXPECT_EQ(ctx.list("vendor"), std::vector<std::string>{"keep"});
  EXPECT_TRUE(ctx.resolve("vendor/keep/me.txt"));
  EXPECT_FALSE(ctx.resolve("vendor/drop.txt"));
}

// --- contexts from a tar stream ----------------------------------------------------------

struct TarEntry {
  std::string name;
  mode_t type = AE_IFREG;
  std::string data;  // file content, or link target for symlinks and hard links
  bool hardlink = false;
};

std::string make_tar(const std::vector<TarEntry>& entries) {
  std::string out;
  struct archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  archive_write_open(
      a, &out, nullptr,
      [](struct archive*, void* s, const void* buf, size_t n) -> la_ssize_t {
        static_cast<std::string*>(s)->append(static_cast<const char*>(buf), n);
        return static_cast<la_ssize_t>(n);
      },
      nullptr);
  for (const auto& e : entries) {
    struct archive_entry* en = archive_entry_new();
    archive_entry_set_pathname(en, e.name.c_str());
    archive_entry_set_filetype(en, e.type);
    archive_entry_set_perm(en, e.type == AE_IFDIR ? 0755 : 0640);
    archive_entry_set_mtime(en, 1700000000, 0);
    if (e.hardlink) {
      archive_entry_set_hardlink(en, e.data.c_str());
    } else if (e.type == AE_IFLNK) {
      archive_entry_set_symlink(en, e.data.c_str());
    } else if (e.type == AE_IFREG) {
      archive_entry_set_size(en, static_cast<la_int64_t>(e.data.size()));
    }
    archive_write_header(a, en);
    if (e.type == AE_IFREG && !e.hardlink) archive_write_data(a, e.data.data(), e.data.size());
    archive_entry_free(en);
  }
  archive_write_close(a);
  archive_write_free(a);
  return out;
}

TEST_F(ContextRoot, TarContextUnpacksWithModesAndMtimes) {
  common::StringReader in(make_tar({{"./Dockerfile", AE_IFREG, "FROM scratch\n"},
                                    {"src", AE_IFDIR, ""},
                                    {"src/a.txt", AE_IFREG, "hello"},
                                    {"src/link", AE_IFLNK, "/etc/passwd"},
                                    {"src/hard", AE_IFREG, "src/a.txt", true}}));
  std::filesystem::path where;
  {
    BuildContext ctx = BuildContext::open_tar(in, {}, root_);
    where = ctx.root();
    EXPECT_EQ(common::read_file(ctx.host_path("src/a.txt")), "hello");
    EXPECT_EQ(common::read_file(ctx.host_path("src/hard")), "hello");
    struct stat st {};
    ASSERT_EQ(::lstat(ctx.host_path("src/a.txt").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0640u);
    EXPECT_EQ(st.st_mtim.tv_sec, 1700000000);
    EXPECT_EQ(st.st_uid, 0u);
    // The symlink is kept, and resolves inside the context (where /etc/passwd is absent).
    EXPECT_TRUE(std::filesystem::is_symlink(ctx.host_path("src/link")));
    EXPECT_FALSE(ctx.resolve("src/link"));
  }
  EXPECT_FALSE(std::filesystem::exists(where)) << "temp context left behind";
}

void expect_unsafe(std::filesystem::path parent, const std::vector<TarEntry>& entries) {
  common::StringReader in(make_tar(entries));
  try {
    BuildContext::open_tar(in, {}, parent);
    ADD_FAILURE() << "unsafe tar accepted: " << entries.back().name;
  } catch (const common::Error& e) {
    EXPECT_NE(e.kind(), common::ErrorKind::kInternal) << e.full_message();
  }
  EXPECT_TRUE(std::filesystem::is_empty(parent)) << "temp context left behind";
}

TEST_F(ContextRoot, TarWithDotDotOrAbsoluteNamesIsRefused) {
  expect_unsafe(root_, {{"../evil", AE_IFREG, "x"}});
  expect_unsafe(root_, {{"a/../../evil", AE_IFREG, "x"}});
  expect_unsafe(root_, {{"/etc/evil", AE_IFREG, "x"}});
  expect_unsafe(root_, {{"f", AE_IFREG, "x"}, {"h", AE_IFREG, "../../etc/passwd", true}});
}

TEST_F(ContextRoot, TarCannotWriteThroughItsOwnSymlink) {
  common::TempDir victim("mybuild-victim-");
  expect_unsafe(root_, {{"d", AE_IFLNK, victim.path().string()}, {"d/pwned", AE_IFREG, "x"}});
  EXPECT_FALSE(std::filesystem::exists(victim.path() / "pwned"));
}

TEST_F(ContextRoot, CorruptTarIsAnIntegrityError) {
  std::string tar = make_tar({{"a", AE_IFREG, std::string(4096, 'x')}});
  tar.resize(700);  // cut inside the file's data
  common::StringReader in(tar);
  try {
    BuildContext::open_tar(in, {}, root_);
    FAIL();
  } catch (const common::Error& e) {
    EXPECT_EQ(e.kind(), common::ErrorKind::kIntegrity) << e.full_message();
  }
}

}  // namespace
}  // namespace mybuild::builder
