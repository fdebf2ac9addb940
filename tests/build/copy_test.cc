// COPY and ADD end to end: what lands in the layer (content, owner, mode, mtime), which context
// files are visible (.dockerignore, ../ clamping), and the errors users see.
#include <sys/stat.h>
#include <utime.h>

#include "tests/build/build_fixture.h"

namespace mybuild::build_testing {
namespace {

using BuildCopy = BuildTest;

TEST_F(BuildCopy, FileKeepsContentAndModeAndIsOwnedByRoot) {
  write("a.txt", "alpha\n", 0640);
  write("run.sh", "#!/bin/sh\n", 0755);
  dockerfile("FROM busybox\nUSER app\nCOPY a.txt /dst/a.txt\nCOPY run.sh /dst/\n");
  Ran r = build({"-t", "app:v1"});
  ASSERT_TRUE(r.ok()) << r.both();
  StoredImage img = image("app:v1");
  const FileEntry* a = img.find("/dst/a.txt");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->content, "alpha\n");
  EXPECT_EQ(a->mode, 0640);
  EXPECT_EQ(a->uid, 0) << "COPY without --chown is 0:0 whatever USER says";
  EXPECT_EQ(a->gid, 0);
  ASSERT_NE(img.find("/dst/run.sh"), nullptr);
  EXPECT_EQ(img.find("/dst/run.sh")->mode, 0755);
  EXPECT_EQ(img.find("/dst")->mode, 0755) << "created parents are 0755";
}

// BuildKit keeps the owners files have in the stage they come from (a service user's
// application stays its own); --chown still overrides them.
TEST_F(BuildCopy, FromAStageKeepsTheSourceOwners) {
  dockerfile(
      "FROM busybox AS build\n"
      "RUN mkdir -p /app/bin && echo x > /app/bin/tool && chown -R 1000:1001 /app "
      "&& chown 0:0 /app/bin/tool\n"
      "FROM busybox\n"
      "COPY --from=build /app /srv/app\n"
      "COPY --from=build --chown=7:8 /app /srv/owned\n");
  Ran r = build({"-t", "app:v1"});
  ASSERT_TRUE(r.ok()) << r.both();
  StoredImage img = image("app:v1");
  ASSERT_NE(img.find("/srv/app/bin"), nullptr);
  EXPECT_EQ(img.find("/srv/app/bin")->uid, 1000);
  EXPECT_EQ(img.find("/srv/app/bin")->gid, 1001);
  EXPECT_EQ(img.find("/srv/app/bin/tool")->uid, 0);
  ASSERT_NE(img.find("/srv/owned/bin/tool"), nullptr);
  EXPECT_EQ(img.find("/srv/owned/bin/tool")->uid, 7);
  EXPECT_EQ(img.find("/srv/owned/bin/tool")->gid, 8);
}

TEST_F(BuildCopy, DirectoryCopiesItsContentsNotItself) {
  write("dir/x", "x\n");
  write("dir/sub/y", "y\n");
  dockerfile("FROM busybox\nCOPY dir /d/\nCOPY dir /e\n");
  ASSERT_EQ(build({"-t", "app:v1"}).failure(), "");
  StoredImage img = image("app:v1");
  EXPECT_EQ(img.content("/d/x"), "x\n");
  EXPECT_EQ(img.content("/d/sub/y"), "y\n");
  EXPECT_FALSE(img.has("/d/dir"));
  EXPECT_EQ(img.content("/e/sub/y"), "y\n");
}

TEST_F(BuildCopy, WildcardsMatchInTheContext) {
  write("one.txt", "1\n");
  write("two.txt", "2\n");
  write("notes.md", "md\n");
  write("dir1/f", "f1\n");
  write("dir2/g", "g2\n");
  dockerfile("FROM busybox\nCOPY *.txt /w/\nCOPY dir? /q/\n");
  Ran r = build({"-t", "app:v1"});
  ASSERT_TRUE(r.ok()) << r.both();
  StoredImage img = image("app:v1");
  EXPECT_EQ(img.content("/w/one.txt"), "1\n");
  EXPECT_EQ(img.content("/w/two.txt"), "2\n");
  EXPECT_FALSE(img.has("/w/notes.md"));
  // Several directories matched: each one's contents go into the destination.
  EXPECT_EQ(img.content("/q/f"), "f1\n");
  EXPECT_EQ(img.content("/q/g"), "g2\n");

  // BuildKit's dispatchCopy sets AllowEmptyWildcard: a pattern matching nothing copies nothing.
  dockerfile("FROM busybox\nCOPY no-match-* /empty/\nRUN touch /after\n");
  r = build({"-t", "app:v2"});
  ASSERT_TRUE(r.ok()) << r.both();
  EXPECT_TRUE(image("app:v2").has("/after"));
}

TEST_F(BuildCopy, TrailingSlashDecidesFileOrDirectory) {
  write("a.txt", "a\n");
  write("b.txt", "b\n");
  dockerfile("FROM busybox\nCOPY a.txt /file\nCOPY a.txt /newdir/\nWORKDIR /w\nCOPY b.txt .\n");
  ASSERT_EQ(build({"-t", "app:v1"}).failure(), "");
  StoredImage img = image("app:v1");
  ASSERT_NE(img.find("/file"), nullptr);
  EXPECT_EQ(img.find("/file")->type, 'f');
  EXPECT_EQ(img.content("/file"), "a\n");
  EXPECT_EQ(img.content("/newdir/a.txt"), "a\n");
  EXPECT_EQ(img.content("/w/b.txt"), "b\n");

  dockerfile("FROM busybox\nCOPY a.txt b.txt /multi\n");
  Ran r = build({"-t", "bad:v1"});
  EXPECT_EQ(r.code, 1) << r.both();
  EXPECT_NE(r.err.find("must be a directory and end with a /"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(" 2 | COPY a.txt b.txt /multi"), std::string::npos) << r.err;
}

TEST_F(BuildCopy, MissingSourceNamesThePath) {
  dockerfile("FROM busybox\nCOPY nope.txt /\n");
  Ran r = build({"-t", "app:v1"});
  EXPECT_EQ(r.code, 1) << r.both();
  EXPECT_NE(r.err.find("nope.txt"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("not found"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("2 | COPY nope.txt /"), std::string::npos)
      << "the Dockerfile line is shown\n"
      << r.err;
  EXPECT_FALSE(manifest_of("app:v1"));
}

TEST_F(BuildCopy, DotDotIsClampedInsideTheContext) {
  write("a.txt", "inside\n");
  write_file(work() / "outside.txt", "outside\n");
  dockerfile("FROM busybox\nCOPY ../../a.txt /clamped\n");
  Ran r = build({"-t", "app:v1"});
  ASSERT_TRUE(r.ok()) << r.both();
  EXPECT_EQ(image("app:v1").content("/clamped"), "inside\n");

  dockerfile("FROM busybox\nCOPY ../outside.txt /o\n");
  r = build({"-t", "bad:v1"});
  EXPECT_EQ(r.code, 1) << r.both();
  EXPECT_NE(r.err.find("outside.txt"), std::string::npos) << r.err;
  EXPECT_FALSE(manifest_of("bad:v1"));
}

TEST_F(BuildCopy, SymlinkLeadingOutOfTheContextResolvesInside) {
  write("etc/passwd", "context's passwd\n");
  fs::create_symlink("/etc/passwd", ctx() / "link");
  dockerfile("FROM busybox\nCOPY link /via-link\n");
  Ran r = build({"-t", "app:v1"});
  ASSERT_TRUE(r.ok()) << r.both();
  EXPECT_EQ(image("app:v1").content("/via-link"), "context's passwd\n")
      << "an absolute link is resolved in the context root, never the host's /etc/passwd";
}

TEST_F(BuildCopy, ChownByNameAndNumber) {
  write("a.txt", "a\n");
  dockerfile(
      "FROM busybox\n"
      "COPY --chown=app:app a.txt /by-name\n"
      "COPY --chown=1001:1002 a.txt /by-number\n"
      "COPY --chown=1003 a.txt /uid-only\n"
      "ARG OWNER=app\n"
      "COPY --chown=${OWNER} a.txt /from-arg\n");
  Ran r = build({"-t", "app:v1"});
  ASSERT_TRUE(r.ok()) << r.both();
  StoredImage img = image("app:v1");
  auto owner = [&](const char* p) {
    const FileEntry* e = img.find(p);
    return e ? std::to_string(e->uid) + ":" + std::to_string(e->gid) : std::string("missing");
  };
  EXPECT_EQ(owner("/by-name"), "1000:1000");
  EXPECT_EQ(owner("/by-number"), "1001:1002");
  EXPECT_EQ(owner("/uid-only"), "1003:1003") << "a uid alone is also the gid (docker's rule)";
  EXPECT_EQ(owner("/from-arg"), "1000:1000");

  dockerfile("FROM busybox\nCOPY --chown=nobody-here a.txt /x\n");
  r = build({"-t", "bad:v1"});
  EXPECT_EQ(r.code, 1) << r.both();
  EXPECT_NE(r.err.find("nobody-here"), std::string::npos) << r.err;
}

TEST_F(BuildCopy, ChmodOctalAndSymbolic) {
  write("a.txt", "a\n", 0644);
  write("tree/f", "f\n", 0600);
  fs::permissions(ctx() / "tree", fs::perms(0700));
  dockerfile(
      "FROM busybox\n"
      "COPY --chmod=755 a.txt /octal\n"
      "COPY --chmod=u=rw,go= a.txt /symbolic\n"
      "COPY --chmod=a+rX tree /tree/\n");
  Ran r = build({"-t", "app:v1"});
  ASSERT_TRUE(r.ok()) << r.both();
  StoredImage img = image("app:v1");
  ASSERT_TRUE(img.has("/octal") && img.has("/symbolic") && img.has("/tree/f"));
  EXPECT_EQ(img.find("/octal")->mode, 0755);
  EXPECT_EQ(img.find("/symbolic")->mode, 0600);
  EXPECT_EQ(img.find("/tree/f")->mode, 0644) << "X adds x only to directories (and executables)";

  dockerfile("FROM busybox\nCOPY --chmod=8888 a.txt /bad\n");
  r = build({"-t", "bad:v1"});
  EXPECT_EQ(r.code, 1) << r.both();
  EXPECT_NE(r.err.find("8888"), std::string::npos) << r.err;
}

TEST_F(BuildCopy, FromAnEarlierStageAndFromAnImage) {
  import_base("marked:v1", {{"marker", "from the image\n"}});
  dockerfile(
      "FROM busybox AS builder\n"
      "RUN mkdir /out && echo built > /out/artifact\n"
      "FROM busybox\n"
      "COPY --from=builder /out/artifact /from-stage\n"
      "COPY --from=0 /out /from-index/\n"
      "COPY --from=marked:v1 /marker /from-image\n");
  Ran r = build({"-t", "app:v1"});
  ASSERT_TRUE(r.ok()) << r.both();
  StoredImage img = image("app:v1");
  EXPECT_EQ(img.content("/from-stage"), "built\n");
  EXPECT_EQ(img.content("/from-index/artifact"), "built\n");
  EXPECT_EQ(img.content("/from-image"), "from the image\n");
  EXPECT_FALSE(img.has("/out")) << "only what was copied comes along";
}

TEST_F(BuildCopy, HeredocSources) {
  dockerfile(
      "FROM busybox\n"
      "COPY <<EOF /etc/greeting\n"
      "hello\n"
      "world\n"
      "EOF\n"
      "COPY --chmod=755 <<one.sh <<two.sh /scripts/\n"
      "echo one\n"
      "one.sh\n"
      "echo two\n"
      "two.sh\n");
  Ran r = build({"-t", "app:v1"});
  ASSERT_TRUE(r.ok()) << r.both();
  StoredImage img = image("app:v1");
  EXPECT_EQ(img.content("/etc/greeting"), "hello\nworld\n");
  ASSERT_NE(img.find("/etc/greeting"), nullptr);
  EXPECT_EQ(img.find("/etc/greeting")->mode, 0644);
  EXPECT_EQ(img.content("/scripts/one.sh"), "echo one\n");
  EXPECT_EQ(img.content("/scripts/two.sh"), "echo two\n");
  ASSERT_NE(img.find("/scripts/two.sh"), nullptr);
  EXPECT_EQ(img.find("/scripts/two.sh")->mode, 0755);
  EXPECT_EQ(img.build_history()[0], "COPY <<EOF /etc/greeting # buildkit");
}

TEST_F(BuildCopy, DockerignoreWithExceptions) {
  write("app.log", "log\n");
  write("keep.log", "kept\n");
  write("secret/key", "k\n");
  write("src/main.c", "int main;\n");
  write("src/build.log", "nested log\n");
  write(".dockerignore", "*.log\n!keep.log\nsecret/\n**/build.log\n");
  dockerfile("FROM busybox\nCOPY . /ctx/\n");
  Ran r = build({"-t", "app:v1"});
  ASSERT_TRUE(r.ok()) << r.both();
  StoredImage img = image("app:v1");
  EXPECT_FALSE(img.has("/ctx/app.log"));
  EXPECT_EQ(img.content("/ctx/keep.log"), "kept\n");
  EXPECT_FALSE(img.has("/ctx/secret"));
  EXPECT_EQ(img.content("/ctx/src/main.c"), "int main;\n");
  EXPECT_FALSE(img.has("/ctx/src/build.log"));
  EXPECT_TRUE(img.has("/ctx/Dockerfile")) << "the Dockerfile is an ordinary context file";
  EXPECT_TRUE(img.has("/ctx/.dockerignore"));

  // An ignored file is not there for COPY to name either.
  dockerfile("FROM busybox\nCOPY app.log /\n");
  r = build({"-t", "bad:v1"});
  EXPECT_EQ(r.code, 1) << r.both();
  EXPECT_NE(r.err.find("app.log"), std::string::npos) << r.err;
}

TEST_F(BuildCopy, DockerfileSpecificIgnoreFileWins) {
  write("a.txt", "a\n");
  write("b.txt", "b\n");
  write(".dockerignore", "a.txt\n");
  write("sub/App.Dockerfile", "FROM busybox\nCOPY . /ctx/\n");
  write("sub/App.Dockerfile.dockerignore", "b.txt\n");
  Ran r = build({"-t", "app:v1", "-f", (ctx() / "sub/App.Dockerfile").string()});
  ASSERT_TRUE(r.ok()) << r.both();
  StoredImage img = image("app:v1");
  EXPECT_EQ(img.content("/ctx/a.txt"), "a\n") << "<Dockerfile>.dockerignore replaces .dockerignore";
  EXPECT_FALSE(img.has("/ctx/b.txt"));
}

TEST_F(BuildCopy, MtimeIsKept) {
  write("old.txt", "old\n");
  struct utimbuf times {
    1000000000, 1000000000
  };
  ASSERT_EQ(::utime((ctx() / "old.txt").c_str(), &times), 0);
  dockerfile("FROM busybox\nCOPY old.txt /old.txt\n");
  ASSERT_EQ(build({"-t", "app:v1"}).failure(), "");
  const FileEntry* e = image("app:v1").find("/old.txt");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->mtime, 1000000000);
}

TEST_F(BuildCopy, AddUnpacksALocalTarGzCopyDoesNot) {
  write_file(work() / "payload/dir/f", "packed\n");
  Ran tar = run_process({"/usr/bin/tar", "-czf", (ctx() / "arch.tar.gz").string(), "-C",
                         (work() / "payload").string(), "dir"},
                        {});
  ASSERT_TRUE(tar.ok()) << tar.both();
  dockerfile(
      "FROM busybox\nADD arch.tar.gz /x/\nCOPY arch.tar.gz /y/\nADD --unpack=false arch.tar.gz "
      "/z/\n");
  Ran r = build({"-t", "app:v1"});
  ASSERT_TRUE(r.ok()) << r.both();
  StoredImage img = image("app:v1");
  EXPECT_EQ(img.content("/x/dir/f"), "packed\n");
  EXPECT_FALSE(img.has("/x/arch.tar.gz"));
  ASSERT_NE(img.find("/y/arch.tar.gz"), nullptr);
  EXPECT_EQ(img.find("/y/arch.tar.gz")->type, 'f');
  EXPECT_FALSE(img.has("/y/dir"));
  EXPECT_TRUE(img.has("/z/arch.tar.gz"));
}

}  // namespace
}  // namespace mybuild::build_testing
