// Kaniko's --cache-ttl: a cache record, local or imported with --cache-from, made longer ago
// than the ttl is not used: the step runs again and writes a fresh record.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

#include "tests/cache/cache_fixture.h"

namespace mybuild::build_testing {
namespace {

TEST_F(CacheRunners, CacheTtlRunsStepsWhoseRecordsAreOlder) {
  const std::string cache = "type=registry,ref=" + reg_ + "/app:cache,mode=max";
  Ran a = build({"--cache-to", cache});
  ASSERT_TRUE(a.ok()) << a.both();
  ASSERT_EQ(run_steps(a.err).size(), 4u) << a.err;
  copy_context_to_b();
  std::this_thread::sleep_for(std::chrono::seconds(2));

  // Local records, 2 s old: a 1 s ttl runs every step again; a fresh record replaces each.
  Ran stale = build({"--cache-ttl", "1s"});
  ASSERT_TRUE(stale.ok()) << stale.both();
  EXPECT_EQ(run_steps(stale.err).size(), 4u) << stale.err;
  EXPECT_NE(stale.err.find("ran-b"), std::string::npos) << stale.err;
  Ran fresh = build({"--cache-ttl", "1h"});
  ASSERT_TRUE(fresh.ok()) << fresh.both();
  EXPECT_TRUE(run_steps(fresh.err).empty()) << fresh.err;
  EXPECT_EQ(cached_steps(fresh.err).size(), 4u) << fresh.err;

  // Imported records keep the time their step ran (createdAt), and age the same way.
  Ran b = build_b("root-b", {"--cache-from", cache, "--cache-ttl", "1s"});
  ASSERT_TRUE(b.ok()) << b.both();
  EXPECT_NE(b.err.find("ran-b"), std::string::npos) << b.err;
  Ran c = build_b("root-c", {"--cache-from", cache, "--cache-ttl", "1h"});
  ASSERT_TRUE(c.ok()) << c.both();
  EXPECT_EQ(c.err.find("ran-b"), std::string::npos) << c.err;
  EXPECT_EQ(cached_steps(c.err).size(), 4u) << c.err;

  // Records dated SOURCE_DATE_EPOCH say nothing of their age: a clear usage error.
  Ran sde = build({"--cache-ttl", "1h", "--reproducible"});
  EXPECT_EQ(sde.code, 2) << sde.both();
  EXPECT_NE(sde.err.find("--cache-ttl cannot be used with SOURCE_DATE_EPOCH"), std::string::npos)
      << sde.err;
}

}  // namespace
}  // namespace mybuild::build_testing
