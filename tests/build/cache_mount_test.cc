// RUN --mount=type=cache sharing modes with two stages that run at the same time: shared lets
// both see one directory, locked makes the second wait for the first, private gives the one
// that finds it in use an instance of its own (BuildKit's three modes).
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

}  // namespace
}  // namespace mybuild::build_testing
