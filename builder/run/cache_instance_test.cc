// Cache-mount instances by sharing mode; flock conflicts between open file descriptions, so
// one process shows what two steps see.
#include "builder/run/cache_instance.h"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <optional>
#include <thread>

#include "common/temp_dir.h"

namespace mybuild::builder {
namespace {

TEST(CacheInstance, SharedIsOneDirectoryForEveryone) {
  common::TempDir root;
  CacheInstance a = acquire_cache_instance(root.path(), "abc", "shared");
  CacheInstance b = acquire_cache_instance(root.path(), "abc", "shared");
  EXPECT_EQ(a.dir(), root.path() / "abc");
  EXPECT_EQ(b.dir(), a.dir());
  EXPECT_TRUE(std::filesystem::is_directory(a.dir()));
}

TEST(CacheInstance, PrivateGetsItsOwnWhileInUseAndTheFirstAfterRelease) {
  common::TempDir root;
  std::optional<CacheInstance> first = acquire_cache_instance(root.path(), "abc", "private");
  EXPECT_EQ(first->dir(), root.path() / "abc");
  {
    CacheInstance second = acquire_cache_instance(root.path(), "abc", "private");
    EXPECT_EQ(second.dir(), root.path() / "abc-1");
  }
  first.reset();
  CacheInstance again = acquire_cache_instance(root.path(), "abc", "private");
  EXPECT_EQ(again.dir(), root.path() / "abc");
  // The second instance was kept for later: with the first held, it is reused.
  CacheInstance other = acquire_cache_instance(root.path(), "abc", "private");
  EXPECT_EQ(other.dir(), root.path() / "abc-1");
}

TEST(CacheInstance, LockedWaitsForTheHolder) {
  common::TempDir root;
  std::optional<CacheInstance> held = acquire_cache_instance(root.path(), "abc", "locked");
  std::promise<std::filesystem::path> got;
  std::future<std::filesystem::path> waiting = got.get_future();
  std::thread second([&] {
    CacheInstance c = acquire_cache_instance(root.path(), "abc", "locked");
    got.set_value(c.dir());
  });
  // Still blocked while the first holds it (a bounded wait: a wrong "shared" answer would
  // arrive at once).
  EXPECT_EQ(waiting.wait_for(std::chrono::milliseconds(200)), std::future_status::timeout);
  held.reset();
  bool ready = waiting.wait_for(std::chrono::seconds(10)) == std::future_status::ready;
  second.join();  // not left running when the check fails
  ASSERT_TRUE(ready) << "the second locked step never got the cache";
  EXPECT_EQ(waiting.get(), root.path() / "abc");
}

TEST(CacheInstance, ASeederMakesOnlyMissingInstances) {
  common::TempDir root;
  int seeded = 0;
  CacheSeeder seed = [&](const std::filesystem::path& dir) {
    ++seeded;
    std::filesystem::create_directory(dir);
  };
  std::optional<CacheInstance> first = acquire_cache_instance(root.path(), "abc", "private", seed);
  EXPECT_EQ(seeded, 1);
  {
    // The instance a busy private cache adds is new: seeded as well.
    CacheInstance second = acquire_cache_instance(root.path(), "abc", "private", seed);
    EXPECT_EQ(second.dir(), root.path() / "abc-1");
    EXPECT_EQ(seeded, 2);
  }
  first.reset();
  CacheInstance again = acquire_cache_instance(root.path(), "abc", "private", seed);
  EXPECT_EQ(again.dir(), root.path() / "abc");
  EXPECT_EQ(seeded, 2);  // an existing (maybe emptied) cache is never seeded again
}

}  // namespace
}  // namespace mybuild::builder
