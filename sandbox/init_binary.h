// The step's PID 1 program (sandbox/init/step_init.cc), built as a small static executable and
// embedded in every binary that links mybuild_sandbox. Each process copies it once into a sealed
// memfd and PID 1 execs that (execveat AT_EMPTY_PATH), as runc does against CVE-2019-5736: a
// step's /proc/1/exe is the memfd, which no write reaches (F_SEAL_WRITE), never a host file.
#pragma once

namespace mybuild::sandbox {

// The memfd (O_CLOEXEC, sealed), made on first use and kept for the life of the process.
// Thread-safe. Throws Error(kSandbox) naming the call that failed.
int init_binary_fd();

}  // namespace mybuild::sandbox
