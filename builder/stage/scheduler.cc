#include "builder/stage/scheduler.h"

#include <string>
#include <thread>
#include <utility>

#include "common/error.h"

namespace mybuild::builder {

using common::Error;
using common::ErrorKind;

namespace {

bool is_cancellation(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const Error& e) {
    return e.kind() == ErrorKind::kCancelled;
  } catch (...) {
    return false;  // anything else is a real error
  }
}

}  // namespace

StageScheduler::StageScheduler(std::vector<int> needed, int stage_count, Work work,
                               common::CancelToken& cancel)
    : needed_(std::move(needed)),
      stage_count_(stage_count),
      work_(std::move(work)),
      cancel_(cancel) {
  for (int i : needed_) futures_[i] = promises_[i].get_future().share();
}

void StageScheduler::run() {
  std::vector<std::thread> threads;
  for (int i : needed_) {
    std::promise<StageResult>* promise = &promises_[i];  // before any thread can insert
    threads.emplace_back([this, i, promise] { run_stage(i, *promise); });
  }
  for (auto& t : threads) t.join();
  if (first_error_) std::rethrow_exception(first_error_);
}

void StageScheduler::run_stage(int index, std::promise<StageResult>& promise) {
  try {
    promise.set_value(work_(index));
  } catch (...) {
    auto error = std::current_exception();
    record_error(error);
    cancel_.cancel();  // the other stages stop at their next step
    promise.set_exception(error);
  }
}

void StageScheduler::record_error(std::exception_ptr error) {
  const bool is_cancel = is_cancellation(error);
  std::lock_guard lock(error_mu_);
  // The error to report is the first real one, not a sibling's "cancelled".
  if (!first_error_ || (first_is_cancel_ && !is_cancel)) {
    first_error_ = std::move(error);
    first_is_cancel_ = is_cancel;
  }
}

const StageResult& StageScheduler::result(int index) {
  std::shared_future<StageResult> future;
  std::promise<StageResult>* build_here = nullptr;  // set when this call builds the stage
  {
    std::lock_guard lock(futures_mu_);
    auto it = futures_.find(index);
    if (it == futures_.end()) {
      if (index < 0 || index >= stage_count_) {
        throw Error(ErrorKind::kInternal, "no stage " + std::to_string(index));
      }
      // A stage only a base image's ONBUILD trigger names (COPY --from=<stage>): the plan
      // cannot see it before the base is pulled, so it is built now, on this thread, once.
      build_here = &promises_[index];
      it = futures_.emplace(index, build_here->get_future().share()).first;
    }
    future = it->second;
  }
  if (build_here) {
    try {
      build_here->set_value(work_(index));
    } catch (...) {
      // The asking stage gets the error from the future below and reports it itself.
      build_here->set_exception(std::current_exception());
    }
  }
  // Waited for without the lock (the stage may itself ask for others); the map's copy of the
  // future keeps the result alive for the reference.
  return future.get();
}

}  // namespace mybuild::builder
