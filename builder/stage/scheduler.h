// StageScheduler: builds the stages a build needs, one thread per stage, as BuildKit's solver
// runs independent vertices at once. A stage that reads another (FROM <stage>, COPY --from)
// waits for it through result(). The work itself is a seam (`Work`): build() passes a function
// that runs a StageBuilder, the unit tests pass plain functions.
//
// Errors: a failing stage cancels the others through the shared CancelToken; run() rethrows
// the first real error, not a sibling's kCancelled that the cancel caused.
//
// Thread-safety: result() may be called from any stage's thread while run() is running, and
// after it returned (the results stay until the scheduler is destroyed).
#pragma once

#include <exception>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <vector>

#include "builder/stage/build_session.h"
#include "common/cancel.h"

namespace mybuild::builder {

class StageScheduler {
 public:
  using Work = std::function<StageResult(int index)>;

  // `needed`: the stages run() builds; `stage_count`: how many the Dockerfile has (a stage
  // outside `needed` can still be asked for, see result()).
  StageScheduler(std::vector<int> needed, int stage_count, Work work, common::CancelToken& cancel);
  StageScheduler(const StageScheduler&) = delete;
  StageScheduler& operator=(const StageScheduler&) = delete;

  // Builds every needed stage on a thread of its own and joins them all; rethrows the first
  // real error.
  void run();

  // Waits for stage `index` and returns its result; throws the stage's error. A stage outside
  // the plan (only a base image's ONBUILD trigger names it, so the plan could not see it) is
  // built here, on the calling thread, once however many threads ask. An index that names no
  // stage throws kInternal.
  const StageResult& result(int index);

 private:
  void run_stage(int index, std::promise<StageResult>& promise);
  void record_error(std::exception_ptr error);

  std::vector<int> needed_;
  int stage_count_;
  Work work_;
  common::CancelToken& cancel_;

  std::mutex futures_mu_;  // guards both maps against the on-demand insert in result()
  std::map<int, std::promise<StageResult>> promises_;
  std::map<int, std::shared_future<StageResult>> futures_;

  std::mutex error_mu_;
  std::exception_ptr first_error_;
  bool first_is_cancel_ = false;
};

}  // namespace mybuild::builder
