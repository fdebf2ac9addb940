#include "builder/stage/scheduler.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "common/error.h"

namespace mybuild::builder {
namespace {

using common::Error;
using common::ErrorKind;
using namespace std::chrono_literals;

StageResult result_named(const std::string& chain) {
  StageResult r;
  r.chain = chain;
  return r;
}

// A latch with a timeout (std::latch has none): a test that would deadlock fails instead.
class Meeting {
 public:
  explicit Meeting(int count) : left_(count) {}
  bool arrive_and_wait(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    if (--left_ == 0) cv_.notify_all();
    return cv_.wait_for(lock, timeout, [&] { return left_ <= 0; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int left_;
};

Error scheduler_error(StageScheduler& scheduler) {
  try {
    scheduler.run();
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "run() did not throw";
  return Error(ErrorKind::kInternal, "no error");
}

TEST(StageScheduler, IndependentStagesRunAtTheSameTime) {
  common::CancelToken cancel;
  Meeting meeting(2);
  StageScheduler scheduler(
      {0, 1}, 2,
      [&](int i) {
        // Each stage returns only once the other has started: run one after the other, they time
        // out.
        if (!meeting.arrive_and_wait(5s))
          throw Error(ErrorKind::kInternal, "stages ran one by one");
        return result_named("stage" + std::to_string(i));
      },
      cancel);
  scheduler.run();
  EXPECT_EQ(scheduler.result(0).chain, "stage0");
  EXPECT_EQ(scheduler.result(1).chain, "stage1");
}

TEST(StageScheduler, ADependencyWaitsForTheResultItReads) {
  common::CancelToken cancel;
  StageScheduler* self = nullptr;
  std::atomic<bool> base_done{false};
  StageScheduler scheduler(
      {0, 1}, 2,
      [&](int i) {
        if (i == 0) {
          std::this_thread::sleep_for(50ms);  // the dependent stage asks before this is ready
          base_done = true;
          return result_named("base");
        }
        const StageResult& base = self->result(0);
        EXPECT_TRUE(base_done);
        return result_named(base.chain + "+child");
      },
      cancel);
  self = &scheduler;
  scheduler.run();
  EXPECT_EQ(scheduler.result(1).chain, "base+child");
}

TEST(StageScheduler, ReportsTheFirstRealErrorNotASiblingsCancellation) {
  common::CancelToken cancel;
  Meeting started(2);
  StageScheduler scheduler(
      {0, 1, 2}, 3,
      [&](int i) -> StageResult {
        if (i == 2) return result_named("done early");
        started.arrive_and_wait(5s);
        if (i == 0) {
          // Fails slowly, so the sibling's cancellation would be recorded first if it could be.
          while (!cancel.cancelled()) std::this_thread::sleep_for(1ms);
          std::this_thread::sleep_for(20ms);
          throw Error(ErrorKind::kDockerfile, "stage 0 failed");
        }
        cancel.cancel();  // stands in for the real failure's cancel, to order the two errors
        cancel.check("stage 1");
        return result_named("unreachable");
      },
      cancel);
  Error e = scheduler_error(scheduler);
  EXPECT_EQ(e.kind(), ErrorKind::kDockerfile);
  EXPECT_STREQ(e.what(), "stage 0 failed");
  EXPECT_EQ(scheduler.result(2).chain, "done early");
}

TEST(StageScheduler, AFailureCancelsTheSiblings) {
  common::CancelToken cancel;
  StageScheduler scheduler(
      {0, 1}, 2,
      [&](int i) -> StageResult {
        if (i == 0) throw Error(ErrorKind::kSandbox, "RUN failed");
        // The sibling stops at its next check once the failure cancelled the build.
        for (auto deadline = std::chrono::steady_clock::now() + 5s;
             std::chrono::steady_clock::now() < deadline;) {
          cancel.check("stage 1");
          std::this_thread::sleep_for(1ms);
        }
        return result_named("not cancelled");
      },
      cancel);
  Error e = scheduler_error(scheduler);
  EXPECT_EQ(e.kind(), ErrorKind::kSandbox);
  EXPECT_TRUE(cancel.cancelled());
  try {
    scheduler.result(1);
    ADD_FAILURE() << "stage 1 was not cancelled";
  } catch (const Error& sibling) {
    EXPECT_EQ(sibling.kind(), ErrorKind::kCancelled);
  }
}

TEST(StageScheduler, AnOnDemandStageIsBuiltOnceForTwoAskers) {
  common::CancelToken cancel;
  StageScheduler* self = nullptr;
  std::atomic<int> builds{0};
  Meeting meeting(2);
  StageScheduler scheduler(
      {0, 1}, 3,
      [&](int i) {
        if (i == 2) {  // not in the plan: only asked for
          ++builds;
          std::this_thread::sleep_for(50ms);  // the second asker arrives while it is being built
          return result_named("onbuild source");
        }
        meeting.arrive_and_wait(5s);  // both ask at once
        return result_named(self->result(2).chain + " for " + std::to_string(i));
      },
      cancel);
  self = &scheduler;
  scheduler.run();
  EXPECT_EQ(builds, 1);
  EXPECT_EQ(scheduler.result(0).chain, "onbuild source for 0");
  EXPECT_EQ(scheduler.result(1).chain, "onbuild source for 1");
}

TEST(StageScheduler, AnUnknownStageIsAnInternalError) {
  common::CancelToken cancel;
  StageScheduler scheduler(
      {0}, 1, [](int) { return result_named("only"); }, cancel);
  scheduler.run();
  for (int index : {-1, 1, 7}) {
    try {
      scheduler.result(index);
      ADD_FAILURE() << "stage " << index << " was found";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kInternal);
    }
  }
}

}  // namespace
}  // namespace mybuild::builder
