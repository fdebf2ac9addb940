// StepWriteback: writes back what a step writes while it still runs (issue 17).
//
// Why: the snapshot under a step is durable only once its pages are on the disk, which the
// overlay's unmount does with a syncfs after the step. A RUN that writes 1 GiB left all of it
// dirty for that moment (the kernel starts writeback only at 10% of memory, or after 30 s), so
// the syncfs (0.8 s) ran beside the layer's diff and its blob write, on the same disk. A step is
// mostly CPU (a compiler, dd from /dev/urandom) while the disk idles: a thread that syncs the
// rootfs's file system whenever the step's cgroup holds kDirtyBytes of dirty pages moves that
// writeback under the step. It writes nothing the unmount would not (the unmount's syncfs
// writes every dirty page of the file system too); a short step or one that writes little
// never reaches the threshold and pays nothing. Measured on `RUN dd if=/dev/urandom of=/big
// bs=1M count=1024` (4 interleaved pairs, with the diff's ReadDropBehind either way): the diff
// took 1.4 s instead of 2.1 (medians), the unmount's sync 0.05 s instead of 0.8, the step's
// process no longer.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

namespace mybuild::sandbox {
class Cgroup;
struct ProcessSpec;
}  // namespace mybuild::sandbox

namespace mybuild::sandbox::internal {

class StepWriteback {
 public:
  static constexpr uint64_t kDirtyBytes = 128 << 20;
  static constexpr std::chrono::milliseconds kPoll{500};

  // `dirty` says how many bytes the step has dirty (nullopt: unknown, nothing is done);
  // `write_back` writes them back and waits. Starts the thread (std::system_error without one).
  StepWriteback(std::function<std::optional<uint64_t>()> dirty, std::function<void()> write_back);
  ~StepWriteback();  // stops after the write-back in hand
  StepWriteback(const StepWriteback&) = delete;
  StepWriteback& operator=(const StepWriteback&) = delete;

  int write_backs() const;  // how many were started (for tests and the debug log)

 private:
  void work();

  const std::function<std::optional<uint64_t>()> dirty_;
  const std::function<void()> write_back_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  int write_backs_ = 0;
  std::thread thread_;  // last: started once the rest is set up
};

// The step's: syncfs of spec.rootfs_dir, driven by the dirty bytes of the step's memory cgroup.
// nullptr when there is nothing to go by: no rootfs directory (the sandbox mounts the rootfs
// itself), no memory cgroup, or no thread to be had.
std::unique_ptr<StepWriteback> start_step_writeback(const ProcessSpec& spec, const Cgroup& cgroup);

}  // namespace mybuild::sandbox::internal
