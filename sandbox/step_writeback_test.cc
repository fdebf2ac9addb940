#include "sandbox/internal/step_writeback.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

namespace mybuild::sandbox::internal {
namespace {

using std::chrono::milliseconds;

// Waits up to `limit` for `calls` to reach `want`.
bool writeback_calls_reach(const std::atomic<int>& calls, int want, milliseconds limit) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (calls.load() < want && std::chrono::steady_clock::now() < end) {
    std::this_thread::sleep_for(milliseconds(10));
  }
  return calls.load() >= want;
}

TEST(StepWriteback, WritesBackWhileTheStepHasEnoughDirty) {
  std::atomic<uint64_t> dirty = StepWriteback::kDirtyBytes;
  std::atomic<int> calls = 0;
  StepWriteback wb([&] { return std::optional<uint64_t>(dirty.load()); },
                   [&] {
                     ++calls;
                     dirty = 0;  // what a syncfs does to the count
                   });
  ASSERT_TRUE(writeback_calls_reach(calls, 1, StepWriteback::kPoll * 10));
  std::this_thread::sleep_for(StepWriteback::kPoll * 3);
  EXPECT_EQ(calls.load(), 1) << "wrote back with nothing dirty";
  dirty = StepWriteback::kDirtyBytes * 2;
  EXPECT_TRUE(writeback_calls_reach(calls, 2, StepWriteback::kPoll * 10));
  EXPECT_EQ(wb.write_backs(), calls.load());
}

TEST(StepWriteback, LeavesAStepThatWritesLittleOrUnknownAlone) {
  std::atomic<int> calls = 0;
  {
    StepWriteback little([] { return std::optional<uint64_t>(StepWriteback::kDirtyBytes - 1); },
                         [&] { ++calls; });
    StepWriteback unknown([] { return std::optional<uint64_t>(); }, [&] { ++calls; });
    std::this_thread::sleep_for(StepWriteback::kPoll * 4);
  }
  EXPECT_EQ(calls.load(), 0);
}

TEST(StepWriteback, StopsPromptly) {
  const auto start = std::chrono::steady_clock::now();
  {
    StepWriteback wb([] { return std::optional<uint64_t>(0); }, [] {});
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, StepWriteback::kPoll);
}

}  // namespace
}  // namespace mybuild::sandbox::internal
