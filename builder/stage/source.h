// What a `--from=NAME` names (COPY --from, RUN --mount=type=bind,from=), resolved in one place:
// a stage of this build, a --build-context directory, or an image (a --build-context
// docker-image:// alias, or a reference), and opened as a tree to read from. A stage of that
// name wins over a named context, as in buildx.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "builder/context/root.h"
#include "builder/progress.h"
#include "builder/stage/build_session.h"
#include "builder/stage/build_store.h"
#include "snapshot/mount_guard.h"

namespace mybuild::builder {

// An opened source: a read-only view of a stage's or image's filesystem, or a named context
// directory. Owns the view and its mount; both go away with it (context first).
struct OpenSource {
  enum class Kind { kStage, kImage, kNamedContext };
  Kind kind = Kind::kStage;
  // The snapshot chain of a stage or image; empty for a named context directory.
  std::string chain;
  // For a named context: "build context NAME (DIR)".
  std::string description;
  std::unique_ptr<ScopedSnapshot> view;
  std::unique_ptr<snapshot::MountGuard> guard;
  // The files, as BuildContext shows them (everything included: .dockerignore is the main
  // context's alone). Declared last so that it is closed before the mount goes.
  std::optional<BuildContext> context;
};

// Which kind `from` names, without opening anything (cheap: for cache inputs).
OpenSource::Kind source_kind(const BuildSession& session, const StagePlan& plan,
                             const std::string& from);

// Opens `from` for the stage `plan` on `platform`. An image is found or pulled, logging on
// `log_step` when given, else on an "[internal] load NAME" step of its own.
std::unique_ptr<OpenSource> open_source(BuildSession& session, const StagePlan& plan,
                                        const std::string& from, const common::Platform& platform,
                                        const std::optional<StepId>& log_step = std::nullopt);

}  // namespace mybuild::builder
