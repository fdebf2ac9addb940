// Progress events from a build (STYLE.md §7): the builder reports, cli/ renders them as tty,
// plain or rawjson output, BuildKit's three modes. Implementations must be thread-safe: stages
// run in parallel and report from their own threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mybuild::builder {

struct StepId {
  int index = 0;     // 1-based, in the order steps were planned (BuildKit's #N)
  std::string name;  // "[build 2/5] RUN make", as BuildKit names vertices
};

enum class StepState { kStarted, kCached, kDone, kFailed, kCancelled };

// Bytes of one transfer a step makes: a base image's layer it pulls, a blob it pushes.
struct TransferStatus {
  std::string id;      // the blob's digest
  std::string action;  // "" for a download (BuildKit names none), "pushing" for an upload
  int64_t current = 0;
  int64_t total = 0;  // the blob's size
  bool completed = false;
};

class ProgressSink {
 public:
  virtual ~ProgressSink() = default;
  virtual void step_state(const StepId& step, StepState state,
                          std::chrono::steady_clock::duration elapsed) = 0;
  // Output of a running step (RUN stdout/stderr), in chunks as it arrives.
  virtual void step_log(const StepId& step, std::string_view chunk) = 0;
  // Why a step missed the cache (--explain-cache, rawjson).
  virtual void cache_miss(const StepId& step, std::string_view reason) = 0;
  virtual void message(std::string_view text) = 0;  // warnings and notes for the user
  // Byte progress of a transfer, repeated as bytes flow (throttled), last with completed set;
  // from transfer worker threads. Only rawjson shows it (BuildKit's statuses). Pure, so that a
  // sink passing events on cannot drop it by forgetting it.
  virtual void step_transfer(const StepId& step, const TransferStatus& status) = 0;
};

}  // namespace mybuild::builder
