#include "builder/stage/step_locks.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

namespace mybuild::builder {
namespace {

// Two platforms asking for the same key: the second waits for the first to finish (and would
// then hit its record); a different key does not wait.
TEST(StepLocks, TheSameKeyWaitsAnotherDoesNot) {
  StepLocks locks;
  auto held = locks.hold("k1");
  std::atomic<bool> other_key_done{false}, same_key_done{false};
  std::thread other([&] {
    auto l = locks.hold("k2");
    other_key_done = true;
  });
  std::thread same([&] {
    auto l = locks.hold("k1");
    EXPECT_TRUE(locks.ran("k1")) << "held only after the first noted its run";
    same_key_done = true;
  });
  other.join();
  EXPECT_TRUE(other_key_done);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(same_key_done) << "k1 is still held";
  EXPECT_FALSE(locks.ran("k1"));
  locks.note_ran("k1");
  held.unlock();
  same.join();
  EXPECT_TRUE(same_key_done);
}

}  // namespace
}  // namespace mybuild::builder
