// Against a real bare repository over file://, made with the git command line.
#include "builder/context/git_fetch.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "common/error.h"
#include "common/temp_dir.h"

namespace mybuild::builder {
namespace {

namespace fs = std::filesystem;

std::string run_git(const fs::path& dir, const std::string& args) {
  std::string cmd = "cd '" + dir.string() +
                    "' && export GIT_CONFIG_NOSYSTEM=1 HOME=/nonexistent GIT_AUTHOR_NAME=t "
                    "GIT_AUTHOR_EMAIL=t@t GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@t && git " +
                    args + " 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  std::string out;
  char buf[256];
  while (p != nullptr && std::fgets(buf, sizeof buf, p) != nullptr) out += buf;
  const int rc = p != nullptr ? ::pclose(p) : -1;
  if (rc != 0) throw std::runtime_error("git " + args + ": " + out);
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

void write_file(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

class GitFetchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    work_ = tmp_.path() / "work";
    fs::create_directories(work_);
    run_git(work_, "init -q -b main");
    write_file(work_ / "Dockerfile", "FROM scratch\n");
    write_file(work_ / "sub/file.txt", "one\n");
    run_git(work_, "add -A && git commit -qm one");
    first_ = run_git(work_, "rev-parse HEAD");
    run_git(work_, "tag -a v1 -m v1");
    write_file(work_ / "sub/file.txt", "two\n");
    run_git(work_, "commit -qam two");
    run_git(tmp_.path(), "clone -q --bare work repo.git");
    url_ = "file://" + (tmp_.path() / "repo.git").string();
  }
  GitCheckout get(const std::string& fragment) {
    return fetch_git_source(*parse_git_source(url_ + fragment), root_.path(), cancel_);
  }
  static std::string read(const fs::path& p) {
    std::ifstream in(p);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  common::CancelToken cancel_;
  common::TempDir tmp_;
  common::TempDir root_;
  fs::path work_;
  std::string url_;
  std::string first_;
};

TEST_F(GitFetchTest, BranchTagAndCommitCheckOutTheirTrees) {
  GitCheckout head = get("");
  EXPECT_TRUE(head.fetched);
  EXPECT_EQ(read(head.root / "sub/file.txt"), "two\n");
  EXPECT_FALSE(fs::exists(head.tree / ".git"));
  EXPECT_EQ(read(get("#main").root / "sub/file.txt"), "two\n");
  GitCheckout tag = get("#v1:sub");
  EXPECT_EQ(tag.commit, first_);
  EXPECT_EQ(read(tag.root / "file.txt"), "one\n");
  EXPECT_EQ(read(get("#" + first_.substr(0, 10)).root / "sub/file.txt"), "one\n");
}

TEST_F(GitFetchTest, SameCommitIsNotFetchedAgainAndAMovedBranchIs) {
  EXPECT_TRUE(get("#main").fetched);
  EXPECT_FALSE(get("#main").fetched);
  EXPECT_TRUE(get("#" + first_).fetched);
  write_file(work_ / "sub/file.txt", "three\n");
  run_git(work_, "commit -qam three && git push -q ../repo.git main");
  GitCheckout moved = get("#main");
  EXPECT_TRUE(moved.fetched);
  EXPECT_EQ(read(moved.root / "sub/file.txt"), "three\n");
}

TEST_F(GitFetchTest, AFullCommitIdAlreadyFetchedNeedsNoRemote) {
  EXPECT_TRUE(get("#" + first_ + ":sub").fetched);
  fs::remove_all(tmp_.path() / "repo.git");
  GitCheckout again = get("#" + first_ + ":sub");
  EXPECT_FALSE(again.fetched);
  EXPECT_EQ(read(again.root / "file.txt"), "one\n");
}

TEST_F(GitFetchTest, ACancelledBuildStopsTheFetchAndLeavesNoTree) {
  cancel_.cancel();
  try {
    get("#main");
    ADD_FAILURE() << "fetched although cancelled";
  } catch (const common::Error& e) {
    EXPECT_EQ(e.kind(), common::ErrorKind::kCancelled) << e.what();
  }
  EXPECT_FALSE(fs::exists(root_.path() / "git/commits"));
  EXPECT_TRUE(fs::is_empty(root_.path() / "tmp"));
}

TEST_F(GitFetchTest, ErrorsNameTheSource) {
  auto expect_error = [&](const std::string& text, common::ErrorKind kind, const char* words) {
    try {
      fetch_git_source(*parse_git_source(text), root_.path(), cancel_);
      ADD_FAILURE() << text;
    } catch (const common::Error& e) {
      EXPECT_EQ(e.kind(), kind) << e.what();
      EXPECT_NE(std::string(e.what()).find(text), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
    }
  };
  expect_error(url_ + "#nosuch", common::ErrorKind::kNotFound, "ref \"nosuch\" not found");
  expect_error(url_ + "#main:nodir", common::ErrorKind::kNotFound, "subdir \"nodir\" not found");
  expect_error(url_ + "?ref=main&checksum=0000000", common::ErrorKind::kIntegrity, "checksum");
  run_git(work_,
          "rm -rq sub && ln -s / sub && git add -A && git commit -qm link && git push -q "
          "../repo.git main");
  expect_error(url_ + "#main:sub", common::ErrorKind::kNotFound, "leaves the repository");
  expect_error("git://127.0.0.1:1/repo.git", common::ErrorKind::kNetwork, "cannot reach");
}

}  // namespace
}  // namespace mybuild::builder
