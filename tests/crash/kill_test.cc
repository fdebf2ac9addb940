// SIGKILL at seeded pseudo-random moments, 50 times, spread over what mybuild does: hashing a
// big context, a RUN, committing a 50 MB layer, importing, tagging (SQLite writes), pushing
// to and pulling from a real docker-registry, exporting -o type=oci, pruning. After each kill
// the next command reclaims what the dead one left: `mybuild check` then reports the store
// clean, nothing stays mounted or running and no cgroup is left, and the same command run
// again succeeds with the same image digest (SOURCE_DATE_EPOCH is set).
#include <signal.h>

#include <chrono>
#include <random>
#include <thread>

#include "tests/crash/crash_fixture.h"
#include "tests/registry/registry_server.h"

namespace mybuild::crash_testing {
namespace {

constexpr int kKills = 50;
constexpr unsigned kSeed = 20261207;  // change to explore other moments; failures print it

struct Phase {
  Phase(std::string n, std::vector<std::string> k, std::vector<std::string> a, bool d = false)
      : name(std::move(n)), killed(std::move(k)), again(std::move(a)), digest(d) {}
  std::string name;
  std::vector<std::string> killed;        // the command killed
  std::vector<std::string> again;         // run to completion afterwards
  bool digest = false;                    // `again` prints an image digest to compare
  std::string reference;                  // that digest, from the first full run
  std::chrono::milliseconds duration{0};  // of the first full run: kills fall inside it
};

class KillTest : public CrashTest {
 protected:
  RunOptions env() {
    RunOptions o;
    o.env["SOURCE_DATE_EPOCH"] = "1700000000";
    return o;
  }
  fs::path context(const std::string& name, const std::string& dockerfile_text) {
    fs::path dir = work() / ("ctx-" + name);
    write_file(dir / "Dockerfile", dockerfile_text);
    return dir;
  }
  std::vector<std::string> build_args(const fs::path& dir, const std::string& tag, bool no_cache,
                                      const std::string& output = "") {
    std::vector<std::string> a = {"build", "-q", "-t", tag};
    if (no_cache) a.push_back("--no-cache");
    if (!output.empty()) a.insert(a.end(), {"-o", output});
    a.push_back(dir.string());
    return a;
  }
  std::vector<Phase> phases(const std::string& registry);
  void first_run(Phase& p);
  void kill_once(Phase& p, std::mt19937& rng, int round);
};

std::vector<Phase> KillTest::phases(const std::string& registry) {
  fs::path big = context("context", "FROM busybox\nCOPY big /big\n");
  for (int i = 0; i < 800; ++i) {
    fs::path dir = big / "big" / std::to_string(i % 16);  // "d"+n: GCC 12 -Wrestrict
    write_file(dir / std::to_string(i), std::string(8192, static_cast<char>('a' + i % 26)));
  }
  fs::path run = context("run", "FROM busybox\nRUN sleep 0.3 && echo ran > /ran\n");
  fs::path commit =
      context("commit",
              "FROM busybox\nRUN /bin/busybox dd if=/dev/zero of=/zeros bs=1M count=50 "
              "2>/dev/null && echo x > /x\n");
  std::string remote = registry + "/crash/app:v1";
  fs::path oci = work() / "out.tar";
  std::vector<Phase> out;
  out.emplace_back("context", build_args(big, "ctx:v1", true), build_args(big, "ctx:v1", false),
                   true);
  out.emplace_back("run", build_args(run, "run:v1", true), build_args(run, "run:v1", false), true);
  out.emplace_back("commit", build_args(commit, "big:v1", true),
                   build_args(commit, "big:v1", false), true);
  fs::path tar = make_busybox_tar(work(), {{"imported", "yes"}});
  std::vector<std::string> import = {"import", "--compression", "gzip", tar.string(), "imp:v1"};
  out.emplace_back("import", import, import, true);
  std::vector<std::string> tag = {"tag", "big:v1", "again:v1"};
  out.emplace_back("sqlite", tag, tag);
  std::vector<std::string> push = {"push", "--insecure-registry", registry, "big:v1", remote};
  std::vector<std::string> pull = {"pull", "--insecure-registry", registry, remote};
  out.emplace_back("push", push, push);
  out.emplace_back("pull", pull, pull);
  std::string dest = "type=oci,dest=" + oci.string();
  out.emplace_back("export", build_args(commit, "big:v1", false, dest),
                   build_args(commit, "big:v1", false, dest), true);
  std::vector<std::string> prune = {"prune"};
  out.emplace_back("prune", prune, prune);
  return out;
}

void KillTest::first_run(Phase& p) {
  auto t0 = std::chrono::steady_clock::now();
  Ran r = mybuild(p.killed, env());
  p.duration =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
  ASSERT_EQ(r.failure(), "") << p.name;
  if (p.digest) {
    Ran again = mybuild(p.again, env());
    ASSERT_EQ(again.failure(), "") << p.name;
    p.reference = again.out;
  }
}

void KillTest::kill_once(Phase& p, std::mt19937& rng, int round) {
  std::uniform_int_distribution<int64_t> when(0, p.duration.count() + 20);
  auto delay = std::chrono::milliseconds(when(rng));
  std::string where = "round " + std::to_string(round) + " (" + p.name + ", SIGKILL after " +
                      std::to_string(delay.count()) + " ms, seed " + std::to_string(kSeed) + ")";
  Background b = start(p.killed, env());
  std::this_thread::sleep_for(delay);
  ::kill(b.pid, SIGKILL);
  Ran killed = wait_process(b);
  ASSERT_EQ(check_failure(), "") << where << "\nkilled run:\n" << killed.both();
  ASSERT_EQ(leaks({b.pid}), "") << where;
  Ran again = mybuild(p.again, env());
  ASSERT_EQ(again.failure(), "") << where;
  if (p.digest) {
    EXPECT_EQ(again.out, p.reference) << where;
  }
}

TEST_F(KillTest, FiftyKillsLeaveAStoreThatChecksCleanAndBuildsTheSame) {
  if (!registry::testing::have_registry()) GTEST_SKIP() << "docker-registry is not installed";
  registry::testing::RegistryServer registry;
  auto all = phases(registry.domain());
  for (auto& p : all) {
    first_run(p);
    if (HasFatalFailure()) return;
  }
  std::mt19937 rng(kSeed);
  for (int round = 0; round < kKills; ++round) {
    kill_once(all[static_cast<size_t>(round) % all.size()], rng, round);
    if (HasFatalFailure()) return;
  }
  EXPECT_EQ(check_failure(), "");
}

}  // namespace
}  // namespace mybuild::crash_testing
