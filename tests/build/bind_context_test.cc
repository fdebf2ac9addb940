// RUN --mount=type=bind from the build context shows what COPY would see: .dockerignore'd files
// are absent inside the step (BuildKit never sends them to the builder) and stay out of the
// cache key; rw binds are private copies; a file source mounts as a file.
#include "tests/build/build_fixture.h"

namespace mybuild::build_testing {
namespace {

using BindContext = BuildTest;

bool has_step(const std::vector<std::string>& steps, const std::string& text) {
  for (const auto& s : steps) {
    if (s.find(text) != std::string::npos) return true;
  }
  return false;
}

class BindIgnored : public BuildTest {
 protected:
  void SetUp() override {
    BuildTest::SetUp();
    write(".dockerignore", "secret.env\nsub/key\n");
    write("secret.env", "TOKEN=one\n");
    write("sub/key", "private key\n");
    write("sub/seen.txt", "seen\n");
    write("file.txt", "hello\n");
    dockerfile("FROM busybox\nRUN --mount=type=bind,target=/ctx ls -a /ctx /ctx/sub > /out\n");
  }
  // The listing the step saw, checked for the hidden and the visible names.
  void expect_filtered_listing(const std::string& tag) {
    const std::string out = image(tag).content("/out");
    EXPECT_EQ(out.find("secret.env"), std::string::npos) << out;
    EXPECT_EQ(out.find("key"), std::string::npos) << out;
    EXPECT_NE(out.find("seen.txt"), std::string::npos) << out;
    EXPECT_NE(out.find("file.txt"), std::string::npos) << out;
    EXPECT_NE(out.find(".dockerignore"), std::string::npos) << out;
  }
};

TEST_F(BindIgnored, IgnoredFilesAreAbsentAndOutsideTheCacheKey) {
  Ran r = build({"-t", "app:v1"});
  ASSERT_EQ(r.failure(), "");
  expect_filtered_listing("app:v1");

  // Changing an ignored file is a full cache hit...
  write("secret.env", "TOKEN=two\n");
  r = build({"-t", "app:v2"});
  ASSERT_EQ(r.failure(), "");
  EXPECT_TRUE(run_steps(r.err).empty()) << r.err;
  EXPECT_TRUE(has_step(cached_steps(r.err), "RUN --mount")) << r.err;
  // ...and a step that does run still does not see it.
  r = build({"-t", "app:v3", "--no-cache"});
  ASSERT_EQ(r.failure(), "");
  expect_filtered_listing("app:v3");

  // Changing a visible file re-runs the step.
  write("sub/seen.txt", "seen again\n");
  r = build({"-t", "app:v4"});
  ASSERT_EQ(r.failure(), "");
  EXPECT_TRUE(has_step(run_steps(r.err), "RUN --mount")) << r.err;
  expect_filtered_listing("app:v4");
}

TEST_F(BindIgnored, ReadingAnIgnoredFileByNameFails) {
  dockerfile(
      "FROM busybox\nRUN --mount=type=bind,source=sub,target=/s "
      "! test -e /s/key && cat /s/seen.txt > /out\n");
  Ran r = build({"-t", "app:v1"});
  ASSERT_EQ(r.failure(), "");
  EXPECT_EQ(image("app:v1").content("/out"), "seen\n");
}

TEST_F(BindIgnored, RwDirectoryBindIsAPrivateFilteredCopy) {
  dockerfile(
      "FROM busybox\nRUN --mount=type=bind,source=sub,target=/s,rw "
      "! test -e /s/key && echo more >> /s/seen.txt && touch /s/new && cat /s/seen.txt > /out\n");
  Ran r = build({"-t", "app:v1"});
  ASSERT_EQ(r.failure(), "");
  EXPECT_EQ(image("app:v1").content("/out"), "seen\nmore\n");
  EXPECT_EQ(read_file(ctx() / "sub/seen.txt"), "seen\n") << "the context file changed";
  EXPECT_FALSE(fs::exists(ctx() / "sub/new"));
}

TEST_F(BindContext, RwFileBindIsAPrivateWritableFile) {
  write("file.txt", "hello\n");
  dockerfile(
      "FROM busybox\nRUN --mount=type=bind,source=file.txt,target=/f,rw "
      "test -f /f && echo x >> /f && cat /f > /out\n");
  Ran r = build({"-t", "app:v1"});
  ASSERT_EQ(r.failure(), "");
  EXPECT_EQ(image("app:v1").content("/out"), "hello\nx\n");
  EXPECT_EQ(read_file(ctx() / "file.txt"), "hello\n") << "the context file changed";
}

TEST_F(BindContext, RoFileBindIsAFile) {
  write("file.txt", "hello\n");
  dockerfile(
      "FROM busybox\nRUN --mount=type=bind,source=file.txt,target=/f "
      "test -f /f && ! echo x >> /f 2>/dev/null && cat /f > /out\n");
  Ran r = build({"-t", "app:v1"});
  ASSERT_EQ(r.failure(), "");
  EXPECT_EQ(image("app:v1").content("/out"), "hello\n");
  EXPECT_EQ(read_file(ctx() / "file.txt"), "hello\n");
}

}  // namespace
}  // namespace mybuild::build_testing
