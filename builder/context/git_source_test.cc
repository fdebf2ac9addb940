#include "builder/context/git_source.h"

#include <gtest/gtest.h>

#include "common/error.h"

namespace mybuild::builder {
namespace {

TEST(GitSource, TellsGitUrlsFromDirectoriesAndTarballs) {
  EXPECT_TRUE(is_git_url("https://github.com/moby/buildkit.git"));
  EXPECT_TRUE(is_git_url("https://host/org/repo.git#main:sub"));
  EXPECT_TRUE(is_git_url("https://host/org/repo.git?ref=v1"));
  EXPECT_TRUE(is_git_url("git://127.0.0.1:9418/repo"));
  EXPECT_TRUE(is_git_url("git@github.com:org/repo.git"));
  EXPECT_TRUE(is_git_url("github.com/org/repo"));
  EXPECT_TRUE(is_git_url("file:///srv/repo.git"));
  EXPECT_FALSE(is_git_url("https://host/context.tar.gz"));
  EXPECT_FALSE(is_git_url("."));
  EXPECT_FALSE(is_git_url("-"));
  EXPECT_FALSE(is_git_url("repo.git"));
}

TEST(GitSource, FragmentGivesRefAndSubdir) {
  auto s = parse_git_source("https://host/org/repo.git#v1.2:app/web/");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->remote, "https://host/org/repo.git");
  EXPECT_EQ(s->ref, "v1.2");
  EXPECT_EQ(s->subdir, "app/web");
  auto plain = parse_git_source("git://h/r");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->ref, "");
  EXPECT_EQ(plain->subdir, "");
  auto only_subdir = parse_git_source("git://h/r#:sub");
  EXPECT_EQ(only_subdir->ref, "");
  EXPECT_EQ(only_subdir->subdir, "sub");
  EXPECT_EQ(parse_git_source("github.com/o/r#main")->remote, "https://github.com/o/r");
}

TEST(GitSource, QueryFormOfBuildKit118) {
  auto s = parse_git_source("https://h/r.git?ref=main&subdir=a%2Fb&checksum=abc123");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->remote, "https://h/r.git");
  EXPECT_EQ(s->ref, "main");
  EXPECT_EQ(s->subdir, "a/b");
  EXPECT_EQ(s->checksum, "abc123");
  EXPECT_EQ(parse_git_source("https://h/r.git?tag=v1&keep-git-dir=true")->ref, "v1");
}

TEST(GitSource, KeepGitDirAndSubmodulesAreBooleansAsGoReadsThem) {
  auto plain = parse_git_source("https://h/r.git#main");
  EXPECT_FALSE(plain->keep_git_dir);
  EXPECT_TRUE(plain->submodules) << "BuildKit checks submodules out by default";
  auto s = parse_git_source("https://h/r.git?ref=main&keep-git-dir=1&submodules=false");
  EXPECT_TRUE(s->keep_git_dir);
  EXPECT_FALSE(s->submodules);
  EXPECT_TRUE(parse_git_source("https://h/r.git?keep-git-dir=True")->keep_git_dir);
  EXPECT_FALSE(parse_git_source("https://h/r.git?submodules=0")->submodules);
}

TEST(GitSource, MalformedSourcesAreUsageErrorsNamingThem) {
  for (const char* bad : {"https://h/r.git?colour=red", "https://h/r.git#main:../etc",
                          "https://h/r.git?ref=a#b", "https://h/r.git?ref=a&branch=b",
                          "https://h/r.git?subdir=%zz", "https://h/r.git?keep-git-dir=yes"}) {
    try {
      parse_git_source(bad);
      ADD_FAILURE() << bad;
    } catch (const common::Error& e) {
      EXPECT_EQ(e.kind(), common::ErrorKind::kUsage) << bad;
      EXPECT_NE(std::string(e.what()).find(bad), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace mybuild::builder
