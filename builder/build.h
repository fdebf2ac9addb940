// builder::build: `mybuild build` end to end. Reads the Dockerfile and the context, plans the
// stages (builder/stage/plan.h), builds the needed ones in parallel (stage_builder.h), writes the
// image (config, manifest) into the store, tags it, and hands it to the outputs and --push.
//
// Errors: a Dockerfile problem is kDockerfile with its file:line:column; a failed RUN is
// kSandbox naming the command, its exit status and last output lines; a cancelled build is
// kCancelled. The store then holds only what completed steps cached: no tag moves, and what a
// failed step wrote is discarded with its snapshot.
#pragma once

#include <string>

#include "builder/build_request.h"
#include "builder/progress.h"
#include "common/cancel.h"
#include "common/error.h"

namespace mybuild::builder {

// What build() throws for an error pointing into the Dockerfile it built: the error as it was,
// with the text of the line it points at. The Dockerfile may be no file the error's reader could
// open again (stdin, a context tar extracted to a directory that is gone by then), so the report
// shows this text, never whatever file of that name is in the current directory.
class DockerfileLineError : public common::Error {
 public:
  DockerfileLineError(const common::Error& e, std::string line_text)
      : common::Error(e), line_text_(std::move(line_text)) {}
  const std::string& line_text() const { return line_text_; }

 private:
  std::string line_text_;
};

BuildResult build(const BuildRequest& request, ProgressSink& progress, common::CancelToken& cancel);

}  // namespace mybuild::builder
