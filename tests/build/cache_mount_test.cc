// RUN --mount=type=cache sharing modes with two stages that run at the same time: shared lets
// both see one directory, locked makes the second wait for the first, private gives the one
// that finds it in use an instance of its own (BuildKit's three modes). And caches seeded
// from= a stage or image with source= (builder/run/cache_seed.h).
#include "tests/build/build_fixture.h"

namespace mybuild::build_testing {
namespace {

using CacheMounts = BuildTest;

// Two stages, each leaving a marker in the cache, waiting, then listing what it sees there.
std::string two_stages(const std::string& sharing) {
  std::string mount = "RUN --mount=type=cache,id=c,target=/c,sharing=" + sharing + " ";
  return "FROM busybox AS one\n" + mount +
         "touch /c/one && sleep 3 && ls /c | tr '\\n' ' ' > /seen\n"
         "FROM busybox AS two\n" +
         mount +
         "touch /c/two && sleep 3 && ls /c | tr '\\n' ' ' > /seen\n"
         "FROM busybox\n"
         "COPY --from=one /seen /one\n"
         "COPY --from=two /seen /two\n";
}

TEST_F(CacheMounts, SharedStagesSeeOneDirectory) {
  dockerfile(two_stages("shared"));
  ASSERT_EQ(build({"-t", "app:v1", "--jobs", "2"}).failure(), "");
  StoredImage img = image("app:v1");
  EXPECT_EQ(img.content("/one"), "one two ");
  EXPECT_EQ(img.content("/two"), "one two ");
}

TEST_F(CacheMounts, PrivateStagesAtTheSameTimeGetAnInstanceEach) {
  dockerfile(two_stages("private"));
  ASSERT_EQ(build({"-t", "app:v1", "--jobs", "2"}).failure(), "");
  StoredImage img = image("app:v1");
  // Whichever came second found the cache in use and got a fresh one.
  EXPECT_EQ(img.content("/one"), "one ");
  EXPECT_EQ(img.content("/two"), "two ");
  // The next build's steps find the instances free again, with what they left.
  dockerfile(
      "FROM busybox\nRUN --mount=type=cache,id=c,target=/c,sharing=private "
      "ls /c | tr '\\n' ' ' > /seen\n");
  ASSERT_EQ(build({"-t", "app:v2"}).failure(), "");
  const std::string seen = image("app:v2").content("/seen");
  EXPECT_TRUE(seen == "one " || seen == "two ") << seen;
}

TEST_F(CacheMounts, LockedStagesTakeTurns) {
  dockerfile(two_stages("locked"));
  ASSERT_EQ(build({"-t", "app:v1", "--jobs", "2"}).failure(), "");
  StoredImage img = image("app:v1");
  // One ran to the end before the other began: exactly one of them saw both markers.
  const std::string one = img.content("/one"), two = img.content("/two");
  EXPECT_TRUE((one == "one " && two == "one two ") || (two == "two " && one == "one two "))
      << one << "|" << two;
}

// A final stage that lists the seeded cache, writes to it and reports what it saw.
std::string seeded(const std::string& deps_line, const std::string& echo) {
  return "FROM busybox AS deps\n" + deps_line +
         "FROM busybox\n"
         "RUN --mount=type=cache,target=/c,from=deps,source=/var/cache/pkgs echo " +
         echo + " && ls /c | tr '\\n' ' ' > /seen && stat -c %a /c > /mode && echo more > /c/" +
         echo + "\n";
}

TEST_F(CacheMounts, SeededFromAStageAndWritesPersist) {
  const std::string deps =
      "RUN mkdir -p /var/cache/pkgs/sub && echo seed > /var/cache/pkgs/a "
      "&& chmod 0750 /var/cache/pkgs\n";
  dockerfile(seeded(deps, "b"));
  Ran first = build({"-t", "app:v1"});
  ASSERT_EQ(first.failure(), "");
  EXPECT_NE(first.both().find("seeded cache mount /c from deps:/var/cache/pkgs"), std::string::npos)
      << first.both();
  EXPECT_EQ(image("app:v1").content("/seen"), "a sub ");
  EXPECT_EQ(image("app:v1").content("/mode"), "750\n");  // the source directory's own mode
  EXPECT_FALSE(image("app:v1").has("/c/b")) << "the cache is not in the layer";
  // Same stage, another step: the cache kept the first build's write.
  dockerfile(seeded(deps, "c"));
  ASSERT_EQ(build({"-t", "app:v2"}).failure(), "");
  EXPECT_EQ(image("app:v2").content("/seen"), "a b sub ");
  // Another stage content is another cache, seeded from the new content (BuildKit's
  // "id:<ref>" key).
  dockerfile(seeded("RUN mkdir -p /var/cache/pkgs && echo new > /var/cache/pkgs/n\n", "d"));
  ASSERT_EQ(build({"-t", "app:v3"}).failure(), "");
  EXPECT_EQ(image("app:v3").content("/seen"), "n ");
  // The stage itself never changed.
  dockerfile("FROM busybox AS deps\n" + deps +
             "FROM busybox\nRUN --mount=type=bind,from=deps,source=/var/cache/pkgs,target=/s "
             "ls /s | tr '\\n' ' ' > /seen\n");
  ASSERT_EQ(build({"-t", "app:v4"}).failure(), "");
  EXPECT_EQ(image("app:v4").content("/seen"), "a sub ");
}

TEST_F(CacheMounts, SeededFromAnImage) {
  import_base("seedimg:v1", {{"seed/one", "1\n"}});
  dockerfile(
      "FROM busybox\n"
      "RUN --mount=type=cache,id=s,target=/c,from=seedimg:v1,source=seed cat /c/one > /got\n");
  ASSERT_EQ(build({"-t", "app:v1"}).failure(), "");
  EXPECT_EQ(image("app:v1").content("/got"), "1\n");
}

TEST_F(CacheMounts, ASeedSourceOutsideTheStageIsRefused) {
  dockerfile(
      "FROM busybox AS deps\nRUN true\nFROM busybox\n"
      "RUN --mount=type=cache,target=/c,from=deps,source=../../etc ls /c\n");
  Ran climbs = build({"-t", "app:v1"});
  EXPECT_FALSE(climbs.ok());
  EXPECT_NE(climbs.both().find("climbs out of deps"), std::string::npos) << climbs.both();
  // A symlink to a directory the host has: resolved inside the stage, where it is missing.
  write("hostdir/secret", "host\n");
  const std::string host = (ctx() / "hostdir").string();
  dockerfile("FROM busybox AS deps\nRUN ln -s " + host +
             " /link\nFROM busybox\n"
             "RUN --mount=type=cache,target=/c,from=deps,source=/link cat /c/secret > /got\n");
  Ran link = build({"-t", "app:v2"});
  EXPECT_FALSE(link.ok());
  EXPECT_NE(link.both().find("cache mount source \"/link\": not found in deps"), std::string::npos)
      << link.both();
}

}  // namespace
}  // namespace mybuild::build_testing
