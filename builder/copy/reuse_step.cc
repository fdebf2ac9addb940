// copy_on_upper (reuse_step.h): the parent's tree for the look-ups, then the copy itself.
#include "builder/copy/reuse_step.h"

#include <optional>

#include "builder/copy/copy_up.h"
#include "builder/copy/layer.h"
#include "common/log.h"
#include "common/trace.h"
#include "snapshot/mount_guard.h"

namespace mybuild::builder {

bool copy_on_upper(BuildSession& session, const std::string& parent_chain,
                   const std::filesystem::path& upper, const CopyPlan& plan,
                   const BuildContext& context, std::span<const CopySource> sources,
                   CopyRecorder& recorder) {
  std::optional<ScopedSnapshot> view;
  std::optional<snapshot::MountGuard> mounted;  // after `view`: unmounted before it goes
  std::filesystem::path parent;
  std::optional<std::string> why;
  {
    common::TraceSpan span("COPY: look up in the parent what the copy meets there");
    if (!parent_chain.empty()) {
      view.emplace(session.store, "copy-below", parent_chain, ScopedSnapshot::Kind::kView);
      mounted.emplace(view->mounts(), view->mount_point());
      parent = mounted->target();
    }
    if (!earlier_upper_usable(recorder.earlier_upper(), recorder.earlier_manifest(), parent)) {
      why = "its upper dir holds more than the copy made";
    } else {
      why = prepare_upper_like_mount(upper, {parent, recorder.earlier_upper()}, plan.dest, context,
                                     sources);
    }
    mounted.reset();
    view.reset();
  }
  if (why) {
    common::TraceSpan declined("COPY: through the mount, not from the previous result (" + *why +
                               ")");
    common::log::debug("COPY " + plan.dest + ": not from the previous result (" + *why +
                       "): copying through the mount");
    return false;
  }
  copy_to_layer(upper, plan, context, sources, std::nullopt, &recorder);
  return true;
}

}  // namespace mybuild::builder
