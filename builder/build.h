// builder::build: `mybuild build` end to end. Reads the Dockerfile and the context, plans the
// stages (builder/stage/plan.h), builds the needed ones in parallel (stage_builder.h), writes the
// image (config, manifest) into the store, tags it, and hands it to the outputs and --push.
//
// Errors: a Dockerfile problem is kDockerfile with its file:line:column; a failed RUN is
// kSandbox naming the command, its exit status and last output lines; a cancelled build is
// kCancelled. The store then holds only what completed steps cached: no tag moves, and what a
// failed step wrote is discarded with its snapshot.
#pragma once

#include "builder/build_request.h"
#include "builder/progress.h"
#include "common/cancel.h"

namespace mybuild::builder {

BuildResult build(const BuildRequest& request, ProgressSink& progress, common::CancelToken& cancel);

}  // namespace mybuild::builder
