// `mybuild run IMAGE [COMMAND...]`: runs a process from an image in the local store in the
// build sandbox (sandbox/run.h) over a throwaway snapshot, as `docker run --rm` would: the
// image's ENTRYPOINT + (COMMAND or CMD), Env, WorkingDir and User. Nothing persists: the
// snapshot is removed afterwards. For the demo and for checking a build by hand.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "builder/isolation.h"
#include "common/cancel.h"
#include "common/io.h"

namespace mybuild::builder {

struct RunRequest {
  std::filesystem::path store_root;
  std::string image;                    // a tag in the local store
  std::vector<std::string> command;     // replaces CMD when not empty
  std::vector<std::string> entrypoint;  // --entrypoint (replaces ENTRYPOINT when set)
  bool entrypoint_set = false;
  std::vector<std::string> env;  // -e K=V, added after the image's Env
  std::string network = "none";  // none | host | default
  std::string user;              // -u; empty: the image's User
  IsolationChoice isolation;     // --isolation, as choose_isolation decided
};

// Returns the process's exit code (128 + signal when killed). Throws kNotFound for an image not
// in the store, kUsage when there is nothing to run, kSandbox when the sandbox fails.
int run_image(const RunRequest& request, common::Writer& output, common::CancelToken& cancel);

}  // namespace mybuild::builder
