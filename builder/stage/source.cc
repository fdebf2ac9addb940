#include "builder/stage/source.h"

#include <vector>

#include "builder/build_request.h"
#include "builder/stage/build_inputs.h"
#include "builder/stage/plan.h"

namespace mybuild::builder {

OpenSource::Kind source_kind(const BuildSession& session, const StagePlan& plan,
                             const std::string& from) {
  if (find_stage(session.plan.stages, from, plan.index)) return OpenSource::Kind::kStage;
  if (named_context_dir(session.request, from)) return OpenSource::Kind::kNamedContext;
  return OpenSource::Kind::kImage;
}

std::unique_ptr<OpenSource> open_source(BuildSession& session, const StagePlan& plan,
                                        const std::string& from, const common::Platform& platform,
                                        const std::optional<StepId>& log_step) {
  auto source = std::make_unique<OpenSource>();
  source->kind = source_kind(session, plan, from);
  if (source->kind == OpenSource::Kind::kNamedContext) {
    // --build-context NAME=DIR: read like the build context, without its .dockerignore.
    const std::string& dir = *named_context_dir(session.request, from);
    source->context.emplace(BuildContext::open_directory(dir, include_everything()));
    source->description = "build context " + from + " (" + dir + ")";
    return source;
  }
  std::vector<image::LayerRef> layers;
  if (source->kind == OpenSource::Kind::kStage) {
    layers = session.stage_result(*find_stage(session.plan.stages, from, plan.index)).layers;
  } else {
    StepId step = log_step ? *log_step : StepId{session.next_step(), "[internal] load " + from};
    image::LocalImage image = session.base_image(from, platform, step);
    layers = layers_of(image, session.store.content().read_small(image.config.digest));
  }
  source->chain = session.store.ensure_snapshot(layers, session.cancel);
  source->view = std::make_unique<ScopedSnapshot>(session.store, "from", source->chain,
                                                  ScopedSnapshot::Kind::kView);
  source->guard =
      std::make_unique<snapshot::MountGuard>(source->view->mounts(), source->view->mount_point());
  source->context.emplace(
      BuildContext::open_directory(source->guard->target(), include_everything()));
  return source;
}

}  // namespace mybuild::builder
