// COPY/ADD flags end to end: --exclude, --parents and --link (what lands in the layer, what
// the cache reuses), ADD keeping an archive's owners, and two RUN details where mybuild used
// to differ from BuildKit (heredoc command stdin, the primary gid among the groups).
#include <sys/stat.h>

#include <algorithm>

#include "tests/build/build_fixture.h"

namespace mybuild::build_testing {
namespace {

using BuildCopyFlags = BuildTest;

// Paths of one layer's entries, sorted ("opt", "opt/app", ...).
std::vector<std::string> layer_paths(const LayerListing& layer) {
  std::vector<std::string> out;
  for (const auto& [path, entry] : layer.entries) out.push_back(path);
  std::sort(out.begin(), out.end());
  return out;
}

TEST_F(BuildCopyFlags, ExcludeFiltersBelowEachSourceWithDockerignorePatterns) {
  write("dir/a.txt", "a\n", 0640);
  write("dir/b.log", "b\n");
  write("dir/keep.log", "keep\n");
  write("dir/sub/c.txt", "c\n");
  write("dir/sub/d.log", "d\n");
  write("top.txt", "top\n");
  dockerfile(
      "FROM busybox\n"
      "COPY --exclude=*.log --exclude=!keep.log --exclude=**/c.txt dir /d/\n"
      "COPY --exclude=*.txt *.txt /w/\n");
  ASSERT_EQ(build({"-t", "app:v1"}).failure(), "");
  StoredImage img = image("app:v1");
  EXPECT_EQ(img.content("/d/a.txt"), "a\n");
  ASSERT_NE(img.find("/d/a.txt"), nullptr);
  EXPECT_EQ(img.find("/d/a.txt")->mode, 0640);
  EXPECT_FALSE(img.has("/d/b.log"));
  EXPECT_EQ(img.content("/d/keep.log"), "keep\n") << "a ! exception re-includes";
  EXPECT_FALSE(img.has("/d/sub/c.txt")) << "** crosses directories";
  EXPECT_EQ(img.content("/d/sub/d.log"), "d\n") << "*.log matches one level only (patternmatcher)";
  // BuildKit (fsutil copy) filters only below a source, never the source a wildcard matched.
  EXPECT_EQ(img.content("/w/top.txt"), "top\n");
  EXPECT_EQ(img.build_history()[0], "COPY dir /d/ # buildkit") << "--exclude is not in history";

  // From another stage too: the patterns apply below the source in that stage's filesystem.
  dockerfile(
      "FROM busybox AS files\n"
      "RUN mkdir -p /out/sub && echo k > /out/k.txt && echo x > /out/x.log && "
      "echo y > /out/sub/y.log\n"
      "FROM busybox\n"
      "COPY --from=files --exclude=*.log /out /e/\n");
  ASSERT_EQ(build({"-t", "app:v2"}).failure(), "");
  StoredImage from = image("app:v2");
  EXPECT_EQ(from.content("/e/k.txt"), "k\n");
  EXPECT_FALSE(from.has("/e/x.log"));
  EXPECT_EQ(from.content("/e/sub/y.log"), "y\n");
}

TEST_F(BuildCopyFlags, ExcludeIsInTheCacheKeyAndExcludedFilesAreNotRead) {
  write("dir/a.txt", "a\n");
  write("dir/skip.bin", "one\n");
  dockerfile("FROM busybox\nCOPY --exclude=*.bin dir /d/\nRUN ls /d > /listing\n");
  ASSERT_EQ(build({"-t", "app:v1"}).failure(), "");
  EXPECT_EQ(image("app:v1").content("/listing"), "a.txt\n");

  write("dir/skip.bin", "changed, and longer\n");
  Ran r = build({"-t", "app:v1"});
  ASSERT_EQ(r.failure(), "");
  EXPECT_TRUE(mentions(cached_steps(r.err), "COPY")) << "an excluded file is not in the key\n"
                                                     << r.err;
  EXPECT_TRUE(mentions(cached_steps(r.err), "RUN ls")) << r.err;

  dockerfile("FROM busybox\nCOPY --exclude=*.txt dir /d/\nRUN ls /d > /listing\n");
  r = build({"-t", "app:v2"});
  ASSERT_EQ(r.failure(), "");
  EXPECT_TRUE(mentions(run_steps(r.err), "COPY")) << "other patterns, other key\n" << r.err;
  EXPECT_EQ(image("app:v2").content("/listing"), "skip.bin\n");
}

TEST_F(BuildCopyFlags, ParentsKeepsTheDirectoriesBelowThePivot) {
  write("x/y/file", "f\n");
  write("x/z/other", "o\n");
  write("a/b/c.txt", "c\n");
  write("a/b/d.md", "d\n");
  write("a/e/f.md", "f\n");
  ::chmod((ctx() / "a/b").c_str(), 0750);
  dockerfile(
      "FROM busybox\n"
      "COPY --parents ./x/./y/file /pivot/\n"
      "COPY --parents a/b/c.txt x/y/file /keep/\n"
      "COPY --parents ./a/*/*.txt /wild/\n"
      "COPY --parents **/*.md /md/\n");
  ASSERT_EQ(build({"-t", "app:v1"}).failure(), "");
  StoredImage img = image("app:v1");
  EXPECT_EQ(img.content("/pivot/y/file"), "f\n") << "/./ sets the pivot";
  EXPECT_FALSE(img.has("/pivot/x"));
  EXPECT_FALSE(img.has("/pivot/file"));
  EXPECT_EQ(img.content("/keep/a/b/c.txt"), "c\n");
  EXPECT_EQ(img.content("/keep/x/y/file"), "f\n");
  EXPECT_FALSE(img.has("/keep/a/b/d.md"));
  EXPECT_FALSE(img.has("/keep/x/z")) << "directories without a match are not created";
  ASSERT_NE(img.find("/keep/a/b"), nullptr);
  EXPECT_EQ(img.find("/keep/a/b")->mode, 0750) << "kept parents keep their mode";
  EXPECT_EQ(img.content("/wild/a/b/c.txt"), "c\n");
  EXPECT_FALSE(img.has("/wild/a/e"));
  EXPECT_EQ(img.content("/md/a/b/d.md"), "d\n");
  EXPECT_EQ(img.content("/md/a/e/f.md"), "f\n");
  EXPECT_FALSE(img.has("/md/a/b/c.txt"));
  EXPECT_EQ(img.build_history()[0], "COPY --parents ./x/./y/file /pivot/ # buildkit");

  dockerfile("FROM busybox\nCOPY --parents a/nope.txt /x/\n");
  Ran r = build({"-t", "bad:v1"});
  EXPECT_EQ(r.code, 1) << r.both();
  EXPECT_NE(r.err.find("a/nope.txt"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("not found"), std::string::npos) << r.err;
}

TEST_F(BuildCopyFlags, LinkLayerHoldsOnlyTheCopyAndSurvivesABaseChange) {
  import_base("base:v1", {{"marker", "one\n"}});
  write("a.txt", "a\n");
  dockerfile(
      "FROM base:v1\n"
      "COPY --link a.txt /opt/app/a.txt\n"
      "COPY b-link.txt /plain.txt\n"
      "RUN cat /marker /opt/app/a.txt > /seen\n");
  write("b-link.txt", "b\n");
  ASSERT_EQ(build({"-t", "app:v1"}).failure(), "");
  StoredImage first = image("app:v1");
  ASSERT_EQ(first.layers.size(), 4u);
  EXPECT_EQ(layer_paths(first.layers[1]),
            (std::vector<std::string>{"opt", "opt/app", "opt/app/a.txt"}))
      << "the --link layer holds the copy and the parents it made, nothing of the base";
  EXPECT_EQ(first.content("/seen"), "one\na\n");

  // A different base under the same name: --link's layer is reused, what follows is rebuilt.
  import_base("base:v1", {{"marker", "two\n"}});
  Ran r = build({"-t", "app:v1"});
  ASSERT_EQ(r.failure(), "");
  EXPECT_TRUE(mentions(cached_steps(r.err), "COPY a.txt")) << r.err;
  EXPECT_TRUE(mentions(run_steps(r.err), "COPY b-link.txt")) << "no --link: keyed on the parent\n"
                                                             << r.err;
  EXPECT_TRUE(mentions(run_steps(r.err), "RUN cat")) << r.err;
  StoredImage second = image("app:v1");
  ASSERT_EQ(second.layers.size(), 4u);
  EXPECT_EQ(second.layers[1].digest, first.layers[1].digest) << "the same layer blob";
  EXPECT_NE(second.layers[0].digest, first.layers[0].digest);
  EXPECT_EQ(second.content("/seen"), "two\na\n");
}

TEST_F(BuildCopyFlags, LinkDoesNotFollowSymlinksOfTheParent) {
  write("a.txt", "a\n");
  dockerfile("FROM busybox\nRUN mkdir /real && ln -s /real /lnk\nCOPY a.txt /lnk/a.txt\n");
  ASSERT_EQ(build({"-t", "plain:v1"}).failure(), "");
  StoredImage plain = image("plain:v1");
  EXPECT_EQ(plain.content("/real/a.txt"), "a\n") << "an ordinary COPY follows the symlink";
  ASSERT_NE(plain.find("/lnk"), nullptr);
  EXPECT_EQ(plain.find("/lnk")->type, 'l');

  dockerfile("FROM busybox\nRUN mkdir /real && ln -s /real /lnk\nCOPY --link a.txt /lnk/a.txt\n");
  ASSERT_EQ(build({"-t", "link:v1"}).failure(), "");
  StoredImage linked = image("link:v1");
  ASSERT_NE(linked.find("/lnk"), nullptr);
  EXPECT_EQ(linked.find("/lnk")->type, 'd') << "BuildKit: the path becomes directories";
  EXPECT_EQ(linked.content("/lnk/a.txt"), "a\n");
  EXPECT_FALSE(linked.has("/real/a.txt"));
  // The image still works as a base: the directory replaced the symlink when applied.
  Ran check =
      check_with("FROM link:v1\nRUN test -d /lnk && test -f /lnk/a.txt && test ! -e /real/a.txt\n");
  EXPECT_EQ(check.failure(), "");
}

TEST_F(BuildCopyFlags, LinkResolvesChownNamesInTheParentAndKeysTheNumbers) {
  write("a.txt", "a\n");
  dockerfile(
      "FROM busybox\n"
      "COPY --link --chown=app:app a.txt /by-name\n"
      "COPY --link --chown=7:8 a.txt /by-number\n"
      "COPY --link --chmod=700 a.txt /chmod\n");
  ASSERT_EQ(build({"-t", "app:v1"}).failure(), "");
  StoredImage img = image("app:v1");
  ASSERT_TRUE(img.has("/by-name") && img.has("/by-number") && img.has("/chmod"));
  EXPECT_EQ(img.find("/by-name")->uid, 1000);
  EXPECT_EQ(img.find("/by-name")->gid, 1000);
  EXPECT_EQ(img.find("/by-number")->uid, 7);
  EXPECT_EQ(img.find("/by-number")->gid, 8);
  EXPECT_EQ(img.find("/chmod")->mode, 0700);
}

TEST_F(BuildCopyFlags, AddOfALocalArchiveKeepsItsOwnersUnlessChown) {
  write_file(work() / "payload/top/file", "x\n");
  Ran tar = run_process(
      {"/usr/bin/tar", "-czf", (ctx() / "arch.tar.gz").string(), "-C",
       (work() / "payload").string(), "--owner=1000", "--group=1001", "--numeric-owner", "top"},
      {});
  ASSERT_TRUE(tar.ok()) << tar.both();
  dockerfile("FROM busybox\nADD arch.tar.gz /kept/\nADD --chown=7:8 arch.tar.gz /owned/\n");
  ASSERT_EQ(build({"-t", "app:v1"}).failure(), "");
  StoredImage img = image("app:v1");
  auto owner = [&](const char* p) {
    const FileEntry* e = img.find(p);
    return e ? std::to_string(e->uid) + ":" + std::to_string(e->gid) : std::string("missing");
  };
  EXPECT_EQ(owner("/kept/top"), "1000:1001") << "BuildKit keeps the archive's owners";
  EXPECT_EQ(owner("/kept/top/file"), "1000:1001");
  EXPECT_EQ(owner("/kept"), "0:0") << "the destination ADD creates is root's";
  EXPECT_EQ(owner("/owned/top/file"), "7:8") << "--chown overrides the archive";
}

TEST_F(BuildCopyFlags, RunHeredocWithACommandIsThatCommandsStdin) {
  dockerfile(
      "FROM busybox\n"
      "RUN <<EOF cat > /stdin.txt\n"
      "one\n"
      "two\n"
      "EOF\n"
      "RUN <<'EOF' sh -e\n"
      "echo \"$0\" > /quoted\n"
      "EOF\n"
      "RUN <<EOF sh -e\n"
      "echo \"$0\" > /unquoted\n"
      "EOF\n");
  ASSERT_EQ(build({"-t", "app:v1"}).failure(), "");
  StoredImage img = image("app:v1");
  EXPECT_EQ(img.content("/stdin.txt"), "one\ntwo\n");
  EXPECT_EQ(img.content("/quoted"), "sh\n") << "the inner sh reads its script from stdin";
  EXPECT_EQ(img.content("/unquoted"), "/bin/sh\n")
      << "an unquoted heredoc is expanded by the outer /bin/sh -c (its $0), as under BuildKit";
}

TEST_F(BuildCopyFlags, NonRootRunHasItsPrimaryGroupAmongItsGroups) {
  dockerfile(
      "FROM busybox\n"
      "USER app\n"
      "RUN grep '^Groups:' /proc/self/status > /tmp/named\n"
      "USER 1000:50\n"
      "RUN grep '^Groups:' /proc/self/status > /tmp/numeric\n");
  ASSERT_EQ(build({"-t", "app:v1"}).failure(), "");
  StoredImage img = image("app:v1");
  EXPECT_EQ(img.content("/tmp/named"), "Groups:\t1000 \n") << "runc/BuildKit add the primary gid";
  EXPECT_EQ(img.content("/tmp/numeric"), "Groups:\t50 \n");
}

}  // namespace
}  // namespace mybuild::build_testing
