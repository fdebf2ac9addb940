#include "builder/image_run.h"

#include "builder/stage/build_inputs.h"
#include "builder/stage/build_store.h"
#include "common/error.h"
#include "image/config.h"
#include "image/pull.h"
#include "registry/reference.h"
#include "sandbox/run.h"
#include "snapshot/mount_guard.h"

namespace mybuild::builder {

using common::Error;
using common::ErrorKind;

int run_image(const RunRequest& request, common::Writer& output, common::CancelToken& cancel) {
  BuildStore store(request.store_root);
  registry::Reference ref = registry::parse_reference(request.image);
  auto image = store.with_db([&](snapshot::Database&, snapshot::ImageStore& images) {
    return image::find_local_image(store.content(), images, ref, common::Platform::host());
  });
  if (!image) {
    throw Error(ErrorKind::kNotFound, "image " + request.image + " is not in the local store (" +
                                          request.store_root.string() + ")");
  }
  std::string config_json = store.content().read_small(image->config.digest);
  std::vector<image::LayerRef> layers = layers_of(*image, config_json);
  image::ImageConfig config = image::ImageConfig::parse(config_json);
  std::string chain = store.ensure_snapshot(layers, cancel);

  sandbox::ProcessSpec spec;
  std::vector<std::string> entrypoint =
      request.entrypoint_set ? request.entrypoint
                             : config.config.entrypoint.value_or(std::vector<std::string>{});
  std::vector<std::string> cmd = !request.command.empty() ? request.command
                                 : request.entrypoint_set
                                     ? std::vector<std::string>{}
                                     : config.config.cmd.value_or(std::vector<std::string>{});
  spec.args = entrypoint;
  spec.args.insert(spec.args.end(), cmd.begin(), cmd.end());
  if (spec.args.empty()) {
    throw Error(ErrorKind::kUsage,
                "image " + request.image + " has no ENTRYPOINT or CMD: give a command");
  }
  spec.env = config.config.env;
  spec.env.insert(spec.env.end(), request.env.begin(), request.env.end());
  spec.cwd = config.config.working_dir.empty() ? "/" : config.config.working_dir;
  spec.user = request.user.empty() ? config.config.user : request.user;
  spec.network = request.network == "host"      ? sandbox::NetworkMode::kHost
                 : request.network == "default" ? sandbox::NetworkMode::kDefault
                                                : sandbox::NetworkMode::kNone;
  spec.hostname = "mybuild";
  spec.isolation = request.isolation.mode;
  spec.description = "run " + request.image;
  spec.state_dir = request.store_root / "run" / "sandbox";

  ScopedSnapshot snap(store, "run", chain);
  snapshot::MountGuard rootfs(snap.mounts(), snap.mount_point());
  spec.rootfs_dir = rootfs.target();
  sandbox::ExitStatus status = sandbox::run(spec, cancel, output);
  rootfs.unmount();
  if (status.signal != 0) return 128 + status.signal;
  if (status.oom_killed || status.timed_out) return 137;
  return status.code;
}

}  // namespace mybuild::builder
