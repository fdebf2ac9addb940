// RUN end to end: the forms of the command, its failure, its network, and RUN --mount of every
// type, checked in the layers the step produced.
#include <algorithm>

#include "tests/build/build_fixture.h"

namespace mybuild::build_testing {
namespace {

using BuildRun = BuildTest;

// Whether any layer of `img` holds `needle` in a file's content.
bool any_layer_contains(const StoredImage& img, const std::string& needle) {
  for (const auto& layer : img.layers) {
    for (const auto& [path, e] : layer.entries) {
      if (e.content.find(needle) != std::string::npos) return true;
    }
  }
  return false;
}

std::string layer_path_text(const LayerListing& layer) {
  std::string out;
  for (const auto& [path, e] : layer.entries) out += path + " ";
  return out;
}

// A RUN that writes more than StepWriteback's 128 MiB (written back while the step runs) into a
// file of more than ReadDropBehind's 64 MiB (its pages dropped as the diff reads it): the layer
// holds the whole file (ReadDropBehind's unit test checks the bytes it reads), and the next step
// reads them back from the snapshot intact.
TEST_F(BuildRun, ABigFileWrittenBackAndDroppedWhileDiffedIsIntact) {
  dockerfile(
      "FROM busybox\n"
      "RUN dd if=/dev/urandom of=/big bs=1M count=160 2>/dev/null && sha256sum /big > /big.sha\n"
      "RUN sha256sum -c /big.sha > /check\n");
  Ran r = build({"-t", "app:v1"});
  ASSERT_TRUE(r.ok()) << r.both();
  StoredImage img = image("app:v1");
  EXPECT_EQ(img.content("/check"), "/big: OK\n");
  const FileEntry* big = img.find("/big");
  ASSERT_NE(big, nullptr);
  EXPECT_EQ(big->size, int64_t{160} << 20);
}

TEST_F(BuildRun, ShellFormAndExecForm) {
  dockerfile(
      "FROM busybox\n"
      "ENV WORD=expanded\n"
      "RUN echo \"a  b\" $WORD > /shell\n"
      "RUN [\"/bin/touch\", \"/exec-$WORD\"]\n"
      "RUN [\"/bin/sh\", \"-c\", \"echo exec-sh > /exec-sh\"]\n");
  Ran r = build({"-t", "app:v1"});
  ASSERT_TRUE(r.ok()) << r.both();
  StoredImage img = image("app:v1");
  EXPECT_EQ(img.content("/shell"), "a  b expanded\n");
  EXPECT_TRUE(img.has("/exec-$WORD")) << "exec form is not run through a shell";
  EXPECT_EQ(img.content("/exec-sh"), "exec-sh\n");
  auto h = img.build_history();
  EXPECT_EQ(h[2], "RUN /bin/touch /exec-$WORD # buildkit");
  EXPECT_EQ(h[3], "RUN /bin/sh -c echo exec-sh > /exec-sh # buildkit");
}

// HOME comes from the RUN's user's passwd entry as the image stands (an earlier RUN may add the
// user), and "/" for a uid with no entry, as BuildKit (through runc) gives it.
TEST_F(BuildRun, HomeFollowsTheUsersPasswdEntry) {
  dockerfile(
      "FROM busybox\n"
      "RUN echo \"$HOME\" > /root-home && mkdir -p /home/app && "
      "echo 'app:x:1000:1000::/home/app:/bin/sh' >> /etc/passwd\n"
      "USER app\n"
      "RUN echo \"$HOME\" > /tmp/app-home\n"
      "USER 4242\n"
      "RUN echo \"$HOME\" > /tmp/uid-home\n");
  Ran r = build({"-t", "app:v1"});
  ASSERT_TRUE(r.ok()) << r.both();
  StoredImage img = image("app:v1");
  EXPECT_EQ(img.content("/root-home"), "/root\n");
  EXPECT_EQ(img.content("/tmp/app-home"), "/home/app\n");
  EXPECT_EQ(img.content("/tmp/uid-home"), "/\n");
}

TEST_F(BuildRun, HeredocScriptWithoutShebangRunsInTheShell) {
  dockerfile(
      "FROM busybox\n"
      "RUN <<EOF\n"
      "echo one > /h\n"
      "echo two >> /h\n"
      "EOF\n"
      "RUN <<EOF sh -c 'cat > /from-stdin'\n"
      "piped\n"
      "EOF\n");
  Ran r = build({"-t", "app:v1"});
  ASSERT_TRUE(r.ok()) << r.both();
  StoredImage img = image("app:v1");
  EXPECT_EQ(img.content("/h"), "one\ntwo\n");
  EXPECT_EQ(img.content("/from-stdin"), "piped\n") << "a heredoc after a command is its stdin";
  // BuildKit's dispatchRun: without "#!" the heredoc's text is the shell's -c argument.
  EXPECT_EQ(img.build_history()[0], "RUN /bin/sh -c echo one > /h\necho two >> /h\n # buildkit");
}

TEST_F(BuildRun, HeredocScriptWithShebangUsesItsInterpreter) {
  dockerfile(
      "FROM busybox\n"
      "RUN <<EOF\n"
      "#!/bin/awk -f\n"
      "BEGIN { print \"from awk\" > \"/awk-out\" }\n"
      "EOF\n");
  Ran r = build({"-t", "app:v1"});
  ASSERT_TRUE(r.ok()) << r.both();
  StoredImage img = image("app:v1");
  EXPECT_EQ(img.content("/awk-out"), "from awk\n");
  EXPECT_EQ(img.build_history()[0], "RUN /bin/sh -c /dev/pipes/EOF # buildkit");
  EXPECT_FALSE(img.has("/dev/pipes/EOF")) << "the script is not left in the image";
}

TEST_F(BuildRun, FailingRunExitsOneNamesTheCommandAndLeavesTagsAlone) {
  dockerfile("FROM busybox\nRUN echo good > /good\n");
  ASSERT_EQ(build({"-t", "app:v1"}).failure(), "");
  auto before = manifest_of("app:v1");
  ASSERT_TRUE(before);

  dockerfile("FROM busybox\nRUN echo good > /good\nRUN echo last words; exit 3\nRUN echo never\n");
  Ran r = build({"-t", "app:v1", "-t", "fresh:v1"});
  EXPECT_EQ(r.code, 1) << r.both();
  EXPECT_NE(r.err.find("/bin/sh -c echo last words; exit 3"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("exit code"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("3"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("last words"), std::string::npos) << "the step's last output is shown\n"
                                                         << r.err;
  EXPECT_NE(r.err.find("3 | RUN echo last words; exit 3"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("never\n"), std::string::npos) << "nothing runs after the failure";
  EXPECT_EQ(manifest_of("app:v1"), before) << "a failed build does not move the tag";
  EXPECT_FALSE(manifest_of("fresh:v1")) << "a failed build does not create the tag";
}

TEST_F(BuildRun, NetworkNoneLeavesOnlyLoopback) {
  // /proc/net/dev: two header lines, then one line per interface of the step's namespace.
  dockerfile(
      "FROM busybox\n"
      "RUN --network=none tail -n +3 /proc/net/dev | sed 's/:.*//; s/ //g' > /ifaces\n");
  Ran r = build({"-t", "app:v1"});
  ASSERT_TRUE(r.ok()) << r.both();
  EXPECT_EQ(image("app:v1").content("/ifaces"), "lo\n");
  EXPECT_EQ(image("app:v1").build_history()[0],
            "RUN /bin/sh -c tail -n +3 /proc/net/dev | sed 's/:.*//; s/ //g' > /ifaces # buildkit");

  dockerfile("FROM busybox\nRUN tail -n +3 /proc/net/dev | sed 's/:.*//; s/ //g' > /ifaces\n");
  r = build({"-t", "app:v2", "--network", "none"});
  ASSERT_TRUE(r.ok()) << r.both();
  EXPECT_EQ(image("app:v2").content("/ifaces"), "lo\n") << "--network none applies to every RUN";
}

TEST_F(BuildRun, CacheMountPersistsBetweenBuildsAndStaysOutOfTheImage) {
  dockerfile(
      "FROM busybox\n"
      "RUN --mount=type=cache,target=/var/cache/app "
      "echo run >> /var/cache/app/log && wc -l < /var/cache/app/log > /count\n");
  ASSERT_EQ(build({"-t", "app:v1", "--no-cache"}).failure(), "");
  EXPECT_EQ(image("app:v1").content("/count"), "1\n");
  Ran r = build({"-t", "app:v2", "--no-cache"});
  ASSERT_TRUE(r.ok()) << r.both();
  StoredImage img = image("app:v2");
  EXPECT_EQ(img.content("/count"), "2\n") << "the second build saw the first one's file";
  EXPECT_FALSE(img.has("/var/cache/app/log"));
}

TEST_F(BuildRun, TmpfsMountIsATmpfsAndLeavesNothing) {
  dockerfile(
      "FROM busybox\n"
      "RUN --mount=type=tmpfs,target=/scratch "
      "echo x > /scratch/f && grep -q ' /scratch tmpfs ' /proc/mounts && touch /ok\n");
  Ran r = build({"-t", "app:v1"});
  ASSERT_TRUE(r.ok()) << r.both();
  StoredImage img = image("app:v1");
  EXPECT_TRUE(img.has("/ok"));
  EXPECT_FALSE(img.has("/scratch/f"));
}

TEST_F(BuildRun, SecretIsVisibleOnlyDuringItsStep) {
  // The Dockerfile names the secret only in upper case: "s3cr3t-value" anywhere is a leak.
  write_file(work() / "token.txt", "s3cr3t-value");
  dockerfile(
      "FROM busybox\n"
      "RUN --mount=type=secret,id=tok test \"$(tr a-z A-Z < /run/secrets/tok)\" = S3CR3T-VALUE && "
      "touch /ok\n"
      "RUN --mount=type=secret,id=tok,target=/etc/tok.conf grep -q s3cr3t /etc/tok.conf && touch "
      "/ok2\n"
      "RUN test ! -s /run/secrets/tok && test ! -s /etc/tok.conf && touch /ok3\n");
  Ran r = build({"-t", "app:v1", "--secret", "id=tok,src=" + (work() / "token.txt").string()});
  ASSERT_TRUE(r.ok()) << r.both();
  StoredImage img = image("app:v1");
  EXPECT_TRUE(img.has("/ok") && img.has("/ok2") && img.has("/ok3"));
  EXPECT_FALSE(any_layer_contains(img, "s3cr3t-value")) << "the secret reached a layer";
  EXPECT_EQ(r.err.find("s3cr3t-value"), std::string::npos)
      << "the secret reached the progress output";
  EXPECT_EQ(img.config.dump().find("s3cr3t-value"), std::string::npos);
  // BuildKit removes the empty files it created as mount points for the secrets.
  EXPECT_FALSE(img.has("/run/secrets/tok"));
  EXPECT_FALSE(img.has("/etc/tok.conf"));

  // A required secret that was not given fails the build with its id.
  dockerfile(
      "FROM busybox\nRUN --mount=type=secret,id=missing,required cat /run/secrets/missing\n");
  r = build({"-t", "bad:v1"});
  EXPECT_EQ(r.code != 0, true) << r.both();
  EXPECT_NE(r.err.find("missing"), std::string::npos) << r.err;
}

TEST_F(BuildRun, BindMountFromTheContextIsReadOnlyAndNotCommitted) {
  write("src/a.txt", "from context\n");
  dockerfile(
      "FROM busybox\n"
      "RUN --mount=type=bind,source=src,target=/src cat /src/a.txt > /copied && "
      "! touch /src/new 2>/dev/null\n");
  Ran r = build({"-t", "app:v1"});
  ASSERT_TRUE(r.ok()) << r.both();
  StoredImage img = image("app:v1");
  EXPECT_EQ(img.content("/copied"), "from context\n");
  EXPECT_FALSE(img.has("/src/a.txt"));
  EXPECT_FALSE(fs::exists(ctx() / "src/new"));
  // BuildKit's MountStubsCleaner removes the empty mount point it had to create.
  EXPECT_FALSE(img.layer_has(1, "src"))
      << "the RUN layer keeps the mount point: " << layer_path_text(img.layers[1]);
}

TEST_F(BuildRun, BindMountOfASingleFile) {
  write("conf.txt", "single file\n");
  dockerfile(
      "FROM busybox\nRUN --mount=type=bind,source=conf.txt,target=/etc/app.conf cat /etc/app.conf "
      "> /copied\n");
  Ran r = build({"-t", "app:v1"});
  ASSERT_TRUE(r.ok()) << r.both();
  EXPECT_EQ(image("app:v1").content("/copied"), "single file\n");
}

TEST_F(BuildRun, RunLayerHoldsOnlyWhatTheCommandChanged) {
  dockerfile("FROM busybox\nRUN echo x > /made\n");
  ASSERT_EQ(build({"-t", "app:v1"}).failure(), "");
  StoredImage img = image("app:v1");
  ASSERT_EQ(img.layers.size(), 2u);
  EXPECT_TRUE(img.layer_has(1, "made"));
  // BuildKit removes the empty /etc/hosts and /etc/resolv.conf stubs it mounted over.
  for (const char* stub : {"etc/hosts", "etc/resolv.conf"}) {
    EXPECT_FALSE(img.layer_has(1, stub)) << "the RUN layer holds the sandbox's stub " << stub
                                         << ": " << layer_path_text(img.layers[1]);
  }
}

}  // namespace
}  // namespace mybuild::build_testing
