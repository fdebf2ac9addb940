// sandbox::run: runs one process specification (sandbox/spec.h) to completion in fresh mount,
// PID, UTS, IPC and cgroup namespaces (and a network namespace unless NetworkMode::kHost: lo only
// for kNone, lo and slirp4netns's tap0 for kDefault, sandbox/slirp.h), in its own cgroup with the
// spec's limits, with Docker's default capabilities and seccomp policy, and streams its stdout and
// stderr to `output` as they come.
//
// Contract (STYLE.md §2, §3):
// - A process that exits non-zero, dies of a signal, is OOM-killed or times out is a result
//   (ExitStatus), not an exception.
// - Failing to set up the sandbox throws Error(kSandbox) naming the step, the call and the paths
//   that failed, e.g. "RUN make: mounting an extra mount: mount(/host/cache -> /root/.cache):
//   Permission denied".
// - `cancel` (checked every 50 ms) kills the whole process tree and throws Error(kCancelled).
// - Whatever happens (exception, cancel, timeout), the step's processes, mounts and cgroup are
//   gone when run() returns. After a kill -9 of mybuild, the next run() cleans up from records.
// - Needs root (real or in a user namespace with delegated cgroups). Thread-safe: concurrent
//   runs share nothing but the state directory.
#pragma once

#include "common/cancel.h"
#include "common/io.h"
#include "sandbox/spec.h"

namespace mybuild::sandbox {

ExitStatus run(const ProcessSpec& spec, common::CancelToken& cancel, common::Writer& output);

}  // namespace mybuild::sandbox
