// `mybuild build <git URL>` end to end: a repository the test makes, served by a real
// `git daemon` on a free loopback port; built from a branch, a tag, a commit id and a subdir,
// fetched once per commit, fetched again when the branch moves; an unknown ref and an
// unreachable remote are errors naming the source.
#include "tests/build/git_servers.h"

namespace mybuild::build_testing {
namespace {

class GitContext : public BuildTest {
 protected:
  void SetUp() override {
    BuildTest::SetUp();
    if (IsSkipped()) return;
    if (!have_tool("git")) GTEST_SKIP() << "git is not installed (deps/build_tests.txt)";
    write_file(src() / "Dockerfile", "FROM busybox\nCOPY hello /hello\n");
    write_file(src() / "hello", "v1\n");
    write_file(src() / "app/Dockerfile", "FROM busybox\nCOPY . /app/\n");
    write_file(src() / "app/f", "in app\n");
    write_file(src() / "keep.Dockerfile", "FROM busybox\nCOPY .git/HEAD /head\n");
    git("init -q -b main && git add -A && git commit -qm one && git tag -a v1 -m v1");
    first_ = git("rev-parse HEAD");
    write_file(src() / "hello", "v2\n");
    git("commit -qam two && git clone -q --bare . ../served/repo.git");
    daemon_ = std::make_unique<GitDaemon>(work() / "served");
    if (!daemon_->up()) GTEST_SKIP() << "git daemon did not start";
  }
  fs::path src() const { return work() / "src"; }
  // Runs `git ARGS` in `dir` (src() unless given; with an identity, no user config) and returns
  // the first line of its stdout.
  std::string git(const std::string& args, const fs::path& dir = {}) {
    Ran r = run_process({"sh", "-c", "git " + args},
                        in_dir(dir.empty() ? src() : dir, git_test_env(work())));
    EXPECT_TRUE(r.ok()) << "git " << args << "\n" << r.both();
    return r.out.substr(0, r.out.find('\n'));
  }
  std::string url(const std::string& fragment = "") const {
    return daemon_->url("repo.git") + fragment;
  }

  std::unique_ptr<GitDaemon> daemon_;
  std::string first_;
};

TEST_F(GitContext, BuildsFromABranchATagACommitAndASubdir) {
  ASSERT_EQ(build({"-t", "head:v1"}, url()).failure(), "");
  EXPECT_EQ(image("head:v1").content("/hello"), "v2\n");
  ASSERT_EQ(build({"-t", "branch:v1"}, url("#main")).failure(), "");
  EXPECT_EQ(image("branch:v1").content("/hello"), "v2\n");
  ASSERT_EQ(build({"-t", "tag:v1"}, url("#v1")).failure(), "");
  EXPECT_EQ(image("tag:v1").content("/hello"), "v1\n");
  ASSERT_EQ(build({"-t", "commit:v1"}, url("#" + first_)).failure(), "");
  EXPECT_EQ(image("commit:v1").content("/hello"), "v1\n");
  ASSERT_EQ(build({"-t", "sub:v1"}, url("#main:app")).failure(), "");
  EXPECT_EQ(image("sub:v1").content("/app/f"), "in app\n");
  EXPECT_FALSE(image("sub:v1").has("/app/hello")) << "the context root is the subdir";
  // BuildKit 1.18's query form; -f names a file in the context (the checkout's top here).
  ASSERT_EQ(build({"-t", "query:v1"}, url("?ref=v1&subdir=app")).failure(), "");
  EXPECT_EQ(image("query:v1").content("/app/f"), "in app\n");
  ASSERT_EQ(build({"-t", "file:v1", "-f", "app/Dockerfile"}, url("#v1")).failure(), "");
  EXPECT_EQ(image("file:v1").content("/app/hello"), "v1\n");
  EXPECT_EQ(image("file:v1").content("/app/app/f"), "in app\n");
}

TEST_F(GitContext, ACommitIsFetchedOnceAndAMovedBranchAgain) {
  Ran first = build({"-t", "app:v1"}, url("#main"));
  ASSERT_EQ(first.failure(), "");
  EXPECT_NE(first.both().find("(fetched)"), std::string::npos) << first.both();
  Ran second = build({"-t", "app:v1"}, url("#main"));
  ASSERT_EQ(second.failure(), "");
  EXPECT_NE(second.both().find("(already fetched)"), std::string::npos) << second.both();

  write_file(src() / "hello", "v3\n");
  git("commit -qam three && git push -q ../served/repo.git main");
  Ran moved = build({"-t", "app:v3"}, url("#main"));
  ASSERT_EQ(moved.failure(), "");
  EXPECT_NE(moved.both().find("(fetched)"), std::string::npos) << moved.both();
  EXPECT_EQ(image("app:v3").content("/hello"), "v3\n");
}

TEST_F(GitContext, UnknownRefMissingSubdirAndUnreachableHostNameTheSource) {
  Ran ref = build({}, url("#no-such-branch"));
  EXPECT_FALSE(ref.ok());
  EXPECT_NE(ref.err.find("ref \"no-such-branch\" not found"), std::string::npos) << ref.both();
  EXPECT_NE(ref.err.find(url("#no-such-branch")), std::string::npos) << ref.both();

  Ran dir = build({}, url("#main:no/such/dir"));
  EXPECT_FALSE(dir.ok());
  EXPECT_NE(dir.err.find("subdir \"no/such/dir\" not found"), std::string::npos) << dir.both();

  const std::string gone = "git://127.0.0.1:" + std::to_string(unused_loopback_port()) + "/r.git";
  Ran host = build({}, gone);
  EXPECT_FALSE(host.ok());
  EXPECT_NE(host.err.find("cannot reach " + gone), std::string::npos) << host.both();
}

TEST_F(GitContext, NamedContextFromAGitUrl) {
  dockerfile("FROM busybox\nCOPY --from=assets f /from-git\n");
  ASSERT_EQ(build({"-t", "named:v1", "--build-context", "assets=" + url("#v1:app")}).failure(), "");
  EXPECT_EQ(image("named:v1").content("/from-git"), "in app\n");
}

TEST_F(GitContext, AddOfAGitUrlCopiesTheCheckout) {
  dockerfile("FROM busybox\nADD " + url("#v1:app") + " /src\nADD " + url("#main") + " /all/\n");
  ASSERT_EQ(build({"-t", "add:v1"}).failure(), "");
  StoredImage img = image("add:v1");
  EXPECT_EQ(img.content("/src/f"), "in app\n");
  EXPECT_EQ(img.content("/all/hello"), "v2\n");
  EXPECT_FALSE(img.has("/all/.git"));
  // --checksum is the commit the ref must resolve to (BuildKit's rule for git sources).
  dockerfile("FROM busybox\nADD --checksum=" + first_ + " " + url("#v1") + " /src/\n");
  ASSERT_EQ(build({"-t", "add:v2"}).failure(), "");
  EXPECT_EQ(image("add:v2").content("/src/hello"), "v1\n");
  dockerfile("FROM busybox\nADD --checksum=" + first_ + " " + url("#main") + " /src/\n");
  Ran wrong = build({"-t", "add:v3"});
  EXPECT_FALSE(wrong.ok());
  EXPECT_NE(wrong.err.find("does not match commit"), std::string::npos) << wrong.both();
}

TEST_F(GitContext, KeepGitDirKeepsTheRepositoryInACheckoutOfItsOwn) {
  dockerfile("FROM busybox\nADD --keep-git-dir=true " + url("#main") + " /k/\nADD " + url("#main") +
             " /p/\n");
  ASSERT_EQ(build({"-t", "keep:v1"}).failure(), "");
  StoredImage img = image("keep:v1");
  EXPECT_EQ(img.content("/k/.git/HEAD"), "ref: refs/heads/main\n");
  EXPECT_EQ(img.content("/k/hello"), "v2\n");
  EXPECT_FALSE(img.has("/p/.git")) << "the plain checkout of the same commit has no .git";
  // The context forms: ?keep-git-dir=1 and BuildKit's build arg; without either, no .git.
  ASSERT_EQ(
      build({"-t", "kq:v1", "-f", "keep.Dockerfile"}, url("?ref=v1&keep-git-dir=1")).failure(), "");
  EXPECT_NE(image("kq:v1").content("/head"), "") << "HEAD of a tag checkout names the commit";
  ASSERT_EQ(build({"-t", "karg:v1", "-f", "keep.Dockerfile", "--build-arg",
                   "BUILDKIT_CONTEXT_KEEP_GIT_DIR=1"},
                  url("#main"))
                .failure(),
            "");
  EXPECT_EQ(image("karg:v1").content("/head"), "ref: refs/heads/main\n");
  Ran plain = build({"-t", "kplain:v1", "-f", "keep.Dockerfile"}, url("#main"));
  EXPECT_FALSE(plain.ok()) << "a plain context has no .git to copy\n" << plain.both();
}

TEST_F(GitContext, SubmodulesAreCheckedOutRecursivelyUnlessTurnedOff) {
  const fs::path inner = work() / "inner", lib = work() / "lib";
  write_file(inner / "deep", "innermost\n");
  git("init -q -b main && git add -A && git commit -qm inner && git clone -q --bare . "
      "../served/inner.git",
      inner);
  write_file(lib / "libfile", "from lib\n");
  git("init -q -b main && git add -A && git commit -qm lib && git submodule add -q " +
          daemon_->url("inner.git") +
          " nested && git commit -qm nested && "
          "git clone -q --bare . ../served/lib.git",
      lib);
  git("submodule add -q " + daemon_->url("lib.git") +
      " sub && git commit -qm sub && git push -q ../served/repo.git main");
  dockerfile("FROM busybox\nADD " + url("#main") + " /r/\nADD " + url("?ref=main&submodules=0") +
             " /n/\n");
  ASSERT_EQ(build({"-t", "sub:v1"}).failure(), "");
  StoredImage img = image("sub:v1");
  EXPECT_EQ(img.content("/r/sub/libfile"), "from lib\n");
  EXPECT_EQ(img.content("/r/sub/nested/deep"), "innermost\n");
  EXPECT_FALSE(img.has("/r/sub/.git")) << "the submodule's gitlink goes with .git";
  EXPECT_FALSE(img.has("/n/sub/libfile")) << "?submodules=0 leaves them out";
}

// `prune --filter until=` reclaims checkouts no build used for longer; a used one is touched.
TEST_F(GitContext, PruneReclaimsCheckoutsNotUsedRecently) {
  ASSERT_EQ(build({"-t", "p:v1"}, url("#v1")).failure(), "");
  ASSERT_EQ(build({"-t", "p:v2"}, url("#main")).failure(), "");
  const fs::path commits = root() / "git" / "commits";
  const auto old = fs::file_time_type::clock::now() - std::chrono::hours(48);
  for (const auto& e : fs::directory_iterator(commits)) fs::last_write_time(e.path(), old);
  ASSERT_EQ(build({"-t", "p:v3"}, url("#" + first_)).failure(), "") << "touches v1's checkout";
  Ran prune = mybuild({"prune", "--filter", "until=24h"});
  ASSERT_TRUE(prune.ok()) << prune.both();
  EXPECT_NE(prune.out.find("1 git checkouts"), std::string::npos) << prune.out;
  EXPECT_TRUE(fs::exists(commits / first_));
  EXPECT_EQ(std::distance(fs::directory_iterator(commits), fs::directory_iterator()), 1);
}

}  // namespace
}  // namespace mybuild::build_testing
