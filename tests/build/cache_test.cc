// The build cache seen from outside: what a second build reuses (plain progress "#N CACHED"),
// what a change invalidates, --no-cache, --explain-cache, early cut-off, concurrent builds.
#include <sys/stat.h>
#include <utime.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "tests/build/build_fixture.h"

namespace mybuild::build_testing {
namespace {

using BuildCache = BuildTest;

const char* kFourSteps =
    "FROM busybox\n"
    "COPY a.txt /a\n"
    "RUN cat /a > /a2\n"
    "COPY b.txt /b\n"
    "RUN cat /b > /b2\n";

TEST_F(BuildCache, SecondBuildIsAllCachedAndGivesTheSameImage) {
  write("a.txt", "a\n");
  write("b.txt", "b\n");
  dockerfile(kFourSteps);
  Ran first = build({"-t", "app:v1", "--iidfile", (work() / "id1").string()});
  ASSERT_TRUE(first.ok()) << first.both();
  EXPECT_EQ(count_cached(first.err), 0) << first.err;
  nlohmann::json first_layers = image("app:v1").manifest["layers"];
  std::this_thread::sleep_for(
      std::chrono::milliseconds(1100));  // a later second, as a user's rebuild
  Ran second = build({"-t", "app:v1", "--iidfile", (work() / "id2").string()});
  ASSERT_TRUE(second.ok()) << second.both();
  EXPECT_EQ(count_cached(second.err), 4) << second.err;
  EXPECT_TRUE(run_steps(second.err).empty()) << second.err;
  EXPECT_EQ(image("app:v1").manifest["layers"], first_layers) << "the cached layers are reused";
  // BuildKit: a fully cached rebuild gives the same image id (the config's "created" is the last
  // layer's creation time, kept in the cache, not the time of the rebuild).
  EXPECT_EQ(read_file(work() / "id1"), read_file(work() / "id2"))
      << "a fully cached rebuild must not take the config's created time from the build";
}

TEST_F(BuildCache, ChangingOneFileRebuildsItsCopyAndWhatFollowsOnly) {
  write("a.txt", "a\n");
  write("b.txt", "b\n");
  dockerfile(kFourSteps);
  ASSERT_EQ(build({"-t", "app:v1"}).failure(), "");
  write("b.txt", "b changed\n");
  Ran r = build({"-t", "app:v1"});
  ASSERT_TRUE(r.ok()) << r.both();
  auto cached = cached_steps(r.err), ran = run_steps(r.err);
  EXPECT_TRUE(mentions(cached, "COPY a.txt")) << r.err;
  EXPECT_TRUE(mentions(cached, "RUN cat /a")) << r.err;
  EXPECT_TRUE(mentions(ran, "COPY b.txt")) << r.err;
  EXPECT_TRUE(mentions(ran, "RUN cat /b")) << r.err;
  EXPECT_EQ(image("app:v1").content("/b2"), "b changed\n");
}

TEST_F(BuildCache, SameSizeSameMtimeContentChangeIsSeen) {
  write("a.txt", "aaaa\n");
  write("b.txt", "b\n");
  struct utimbuf t {
    1500000000, 1500000000
  };
  ASSERT_EQ(::utime((ctx() / "a.txt").c_str(), &t), 0);
  dockerfile(kFourSteps);
  ASSERT_EQ(build({"-t", "app:v1"}).failure(), "");
  write("a.txt", "bbbb\n");
  ASSERT_EQ(::utime((ctx() / "a.txt").c_str(), &t), 0);
  Ran r = build({"-t", "app:v1"});
  ASSERT_TRUE(r.ok()) << r.both();
  EXPECT_TRUE(mentions(run_steps(r.err), "COPY a.txt")) << r.err;
  EXPECT_EQ(image("app:v1").content("/a2"), "bbbb\n") << "a stale cache hit";
}

TEST_F(BuildCache, NoCacheRunsEverythingAgain) {
  write("a.txt", "a\n");
  write("b.txt", "b\n");
  dockerfile(kFourSteps);
  ASSERT_EQ(build({"-t", "app:v1"}).failure(), "");
  Ran r = build({"-t", "app:v1", "--no-cache"});
  ASSERT_TRUE(r.ok()) << r.both();
  EXPECT_EQ(count_cached(r.err), 0) << r.err;
  EXPECT_EQ(run_steps(r.err).size(), 4u) << r.err;
}

TEST_F(BuildCache, ExplainCacheNamesTheChangedInput) {
  write("a.txt", "a\n");
  write("b.txt", "b\n");
  dockerfile(
      "FROM busybox\n"
      "COPY a.txt /a\n"
      "ARG MODE=one\n"
      "RUN echo $MODE > /mode\n");
  ASSERT_EQ(build({"-t", "app:v1"}).failure(), "");
  write("a.txt", "a changed\n");
  Ran r = build({"-t", "app:v1", "--explain-cache"});
  ASSERT_TRUE(r.ok()) << r.both();
  EXPECT_NE(r.err.find("cache miss"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("a.txt changed"), std::string::npos) << "the miss names the file\n" << r.err;

  r = build({"-t", "app:v1", "--explain-cache", "--build-arg", "MODE=two"});
  ASSERT_TRUE(r.ok()) << r.both();
  EXPECT_EQ(count_cached(r.err), 1) << "the COPY stays cached\n" << r.err;
  EXPECT_NE(r.err.find("cache miss"), std::string::npos) << r.err;
  EXPECT_EQ(image("app:v1").content("/mode"), "two\n");
  // Issue 7: the explanation says which input changed -- "a build arg", so by name.
  std::string miss = r.err.substr(r.err.find("cache miss"));
  miss = miss.substr(0, miss.find('\n'));
  EXPECT_NE(miss.find("MODE"), std::string::npos)
      << "a --build-arg change is explained as '" << miss << "', without naming MODE";
}

// A step that reruns but produces the same layer (here: a RUN that reads a context file through a
// bind mount and changes nothing) leaves the steps after it cached.
TEST_F(BuildCache, EarlyCutOffKeepsLaterStepsCached) {
  write("input/data.txt", "valid\n");
  dockerfile(
      "FROM busybox\n"
      "RUN --mount=type=bind,source=input,target=/input grep -q valid /input/data.txt\n"
      "RUN echo after > /after\n");
  ASSERT_EQ(build({"-t", "app:v1"}).failure(), "");
  write("input/data.txt", "still valid\n");
  // More than a second later, so that fresh mtimes of anything the step leaves behind show.
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  Ran r = build({"-t", "app:v1"});
  ASSERT_TRUE(r.ok()) << r.both();
  EXPECT_TRUE(mentions(run_steps(r.err), "grep -q valid")) << "the input changed: it must rerun\n"
                                                           << r.err;
  // The rerun step's layer is the same only if the sandbox leaves none of its stubs (/etc/hosts,
  // mount points) behind with fresh mtimes; otherwise early cut-off never happens.
  bool cut_off = mentions(cached_steps(r.err), "echo after");
  EXPECT_TRUE(cut_off) << "same result: the next step stays cached\n" << r.err;
}

TEST_F(BuildCache, ConcurrentBuildsShareTheStoreAndTheCache) {
  write("a.txt", "a\n");
  write("b.txt", "b\n");
  dockerfile(kFourSteps);
  const std::string binary = MYBUILD_BINARY;
  auto argv = [&](const std::string& tag) {
    return std::vector<std::string>{binary,  "--root",     root().string(),
                                    "build", "--progress", "plain",
                                    "-t",    tag,          ctx().string()};
  };
  fs::create_directories(work() / "bg");
  Background one = start_process(argv("one:v1"), {work(), {}, {}, 120}, work() / "bg");
  Background two = start_process(argv("two:v1"), {work(), {}, {}, 120}, work() / "bg");
  Ran r1 = wait_process(one), r2 = wait_process(two);
  // Both succeed: two concurrent builds of one Dockerfile in one store write the same layers and
  // blobs, and neither may fail because the other got there first ("already exists").
  ASSERT_TRUE(r1.ok()) << r1.both();
  ASSERT_TRUE(r2.ok()) << r2.both();
  EXPECT_EQ(image("one:v1").content("/b2"), "b\n");
  EXPECT_EQ(image("two:v1").content("/b2"), "b\n");
  Ran third = build({"-t", "three:v1"});
  ASSERT_TRUE(third.ok()) << third.both();
  EXPECT_EQ(count_cached(third.err), 4) << "a later process reuses the cache\n" << third.err;
}

}  // namespace
}  // namespace mybuild::build_testing
