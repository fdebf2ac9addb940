// Live mybuild processes racing on one state root: four builds at once that share a base image
// (pulled from a real docker-registry by whichever gets there first), cache records (a step
// all four have in common) and a locked cache mount, while `mybuild prune` runs in a loop and a
// `mybuild pull` fetches the same base. Every process must succeed, every image must hold the
// files its Dockerfile wrote, and no output may say "database is locked".
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "tests/build/build_fixture.h"
#include "tests/registry/registry_server.h"

namespace mybuild::build_testing {
namespace {

constexpr int kBuilds = 4;

class Concurrency : public BuildTest {
 protected:
  void SetUp() override {
    BuildTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    if (!registry::testing::have_registry()) {
      GTEST_SKIP() << "docker-registry is not installed (deps/store_commands.txt)";
    }
    server_ = std::make_unique<registry::testing::RegistryServer>();
  }

  std::vector<std::string> argv(std::vector<std::string> args) const {
    args.insert(args.begin(), {MYBUILD_BINARY, "--root", root().string()});
    return args;
  }
  fs::path context(int i) const { return work() / ("ctx-" + std::to_string(i)); }

  // Build i's context: a step all builds share (one cache record), the locked cache mount,
  // then steps of its own.
  void write_context(int i, const std::string& base) const {
    std::string n = std::to_string(i);
    write_file(context(i) / "own.txt", "own " + n + "\n");
    write_file(context(i) / "Dockerfile",
               "FROM " + base +
                   "\n"
                   "RUN echo shared > /shared.txt\n"
                   // Fails when another build holds the locked mount at the same time.
                   "RUN --mount=type=cache,id=shared,sharing=locked,target=/cache "
                   "test ! -e /cache/held && touch /cache/held && sleep 0.3 && "
                   "echo " +
                   n + " >> /cache/log && rm /cache/held && echo " + n +
                   " > /locked.txt\n"
                   "COPY own.txt /own.txt\n"
                   "RUN cat /own.txt /shared.txt > /both.txt\n");
  }

  std::unique_ptr<registry::testing::RegistryServer> server_;
};

bool says_locked(const Ran& r) {
  return (r.out + r.err).find("database is locked") != std::string::npos;
}

TEST_F(Concurrency, FourBuildsWithPruneAndPullOnOneRoot) {
  const std::string base = server_->domain() + "/conc/base:v1";
  Ran push = mybuild({"push", "busybox:latest", base});
  ASSERT_TRUE(push.ok()) << push.both();
  // The root starts without the base: the builds and the pull fetch it while prune runs.
  ASSERT_TRUE(mybuild({"rmi", "busybox:latest"}).ok());
  ASSERT_TRUE(mybuild({"prune"}).ok());
  ASSERT_FALSE(manifest_of(base)) << "the base must be fetched during the race";

  fs::path scratch = work() / "bg";
  fs::create_directories(scratch);
  fs::path stop = work() / "stop";
  // prune again and again until the builds are done; the first failure ends the loop.
  std::string loop = "while [ ! -e '" + stop.string() + "' ]; do '" + MYBUILD_BINARY +
                     "' --root '" + root().string() + "' prune || exit 1; sleep 0.05; done";
  RunOptions opts{work(), {}, {}, 120};
  Background pruner = start_process({"sh", "-c", loop}, opts, scratch);
  std::vector<Background> builds;
  for (int i = 0; i < kBuilds; ++i) {
    write_context(i, base);
    builds.push_back(start_process(
        argv({"build", "--progress", "plain", "-t", "img" + std::to_string(i), context(i)}), opts,
        scratch));
    if (i == 1) builds.push_back(start_process(argv({"pull", base}), opts, scratch));
  }
  std::vector<Ran> ran;
  for (const auto& b : builds) ran.push_back(wait_process(b));
  write_file(stop, "");
  Ran pruned = wait_process(pruner);

  for (const auto& r : ran) {
    EXPECT_TRUE(r.ok()) << r.both();
    EXPECT_FALSE(says_locked(r)) << r.both();
  }
  EXPECT_TRUE(pruned.ok()) << pruned.both();
  EXPECT_FALSE(says_locked(pruned)) << pruned.both();
  for (int i = 0; i < kBuilds; ++i) {
    std::string n = std::to_string(i);
    // Reads every layer blob: one collected under a running build fails here.
    StoredImage img = image("img" + n);
    EXPECT_EQ(img.content("/shared.txt"), "shared\n") << n;
    EXPECT_EQ(img.content("/locked.txt"), n + "\n") << n;
    EXPECT_EQ(img.content("/both.txt"), "own " + n + "\nshared\n") << n;
    EXPECT_TRUE(img.has("/bin/busybox")) << n;
  }
  ASSERT_TRUE(manifest_of(base));
  EXPECT_TRUE(image(base).has("/bin/busybox"));
  // One cache record for the shared step, and the cache mount saw each build once, in turn.
  write_file(context(9) / "Dockerfile",
             "FROM " + base +
                 "\nRUN echo shared > /shared.txt\n"
                 "RUN --mount=type=cache,id=shared,sharing=locked,target=/cache "
                 "test $(wc -l < /cache/log) -eq " +
                 std::to_string(kBuilds) + " && test ! -e /cache/held\n");
  Ran after = mybuild({"build", "--progress", "plain", context(9).string()});
  ASSERT_TRUE(after.ok()) << after.both();
  EXPECT_EQ(count_cached(after.err), 1) << after.err;
  // And the store is whole for the next prune and listing.
  Ran last = mybuild({"prune"});
  EXPECT_TRUE(last.ok()) << last.both();
  for (int i = 0; i < kBuilds; ++i) EXPECT_TRUE(image("img" + std::to_string(i)).has("/own.txt"));
}

// Imports beside a prune loop, twice over: first new blobs, then (after rmi) the same tars
// again, whose blobs are still present but unreferenced and old, until the tag names them.
class PruneBeside : public BuildTest {};

TEST_F(PruneBeside, ImportsKeepTheirBlobs) {
  constexpr int kImports = 6;
  std::vector<fs::path> tars;
  for (int i = 0; i < kImports; ++i) {
    tars.push_back(make_busybox_tar(work(), {{"etc/marker", std::to_string(i) + "\n"}}));
  }
  fs::path scratch = work() / "bg";
  fs::create_directories(scratch);
  for (int round = 0; round < 2; ++round) {
    fs::path stop = work() / ("stop" + std::to_string(round));
    std::string loop = "while [ ! -e '" + stop.string() + "' ]; do '" + MYBUILD_BINARY +
                       "' --root '" + root().string() + "' prune >/dev/null || exit 1; done";
    Background pruner = start_process({"sh", "-c", loop}, {work(), {}, {}, 120}, scratch);
    for (int i = 0; i < kImports; ++i) {
      std::string name = "imp" + std::to_string(i) + ":v1";
      Ran r = mybuild({"import", "--compression", "none", tars[i].string(), name});
      EXPECT_TRUE(r.ok()) << r.both();
      EXPECT_FALSE(says_locked(r)) << r.both();
    }
    write_file(stop, "");
    Ran pruned = wait_process(pruner);
    EXPECT_TRUE(pruned.ok()) << pruned.both();
    for (int i = 0; i < kImports; ++i) {
      std::string name = "imp" + std::to_string(i) + ":v1";
      // Throws when prune took a blob the tag names.
      EXPECT_EQ(image(name).content("/etc/marker"), std::to_string(i) + "\n") << "round " << round;
      if (round == 0) {
        ASSERT_TRUE(mybuild({"rmi", name}).ok());
      }
    }
  }
}

}  // namespace
}  // namespace mybuild::build_testing
