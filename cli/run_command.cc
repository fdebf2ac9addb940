#include <memory>
#include <ostream>
#include <string>

#include "builder/image_run.h"
#include "cli/commands.h"
#include "common/error.h"

namespace mybuild::cli {

namespace {

struct RunFlags {
  builder::RunRequest request;
  std::string entrypoint;
  std::string image;
};

// Writes the process's output to `out` as it comes.
class StreamWriter : public common::Writer {
 public:
  explicit StreamWriter(std::ostream& out) : out_(out) {}
  void write(std::string_view data) override {
    out_.write(data.data(), static_cast<std::streamsize>(data.size()));
    out_.flush();
  }

 private:
  std::ostream& out_;
};

}  // namespace

void add_run_command(CLI::App& app, GlobalOptions& global, std::ostream& out) {
  auto flags = std::make_shared<RunFlags>();
  auto* cmd = app.add_subcommand(
      "run", "Run a command from an image of the local store in the sandbox (as docker run --rm)");
  cmd->add_option("-e,--env", flags->request.env, "Set an environment variable (K=V)")
      ->allow_extra_args(false);
  cmd->add_option("-u,--user", flags->request.user, "User (name or uid[:gid])");
  cmd->add_option("--network", flags->request.network, "none (default), host or default")
      ->check(CLI::IsMember({"none", "host", "default"}));
  cmd->add_option("--entrypoint", flags->entrypoint, "Replace the image's ENTRYPOINT");
  cmd->add_option("image", flags->image, "Image in the local store")->required();
  // Everything after IMAGE is the command, not our flags (`run img sh -c 'x'`).
  cmd->prefix_command();
  cmd->allow_extras();
  cmd->fallthrough(false);  // an option in the command (sh -c) is not ours nor the parent's
  cmd->footer("Usage: mybuild run [FLAGS] IMAGE [COMMAND [ARG...]]");
  cmd->callback([flags, cmd, &global, &out] {
    builder::RunRequest request = flags->request;
    request.store_root = prepare_root(global);
    request.isolation = builder::choose_isolation(global.isolation, request.store_root);
    request.image = flags->image;
    request.command = cmd->remaining();
    if (cmd->count("--entrypoint") > 0) {
      request.entrypoint_set = true;
      if (!flags->entrypoint.empty()) request.entrypoint = {flags->entrypoint};
    }
    StreamWriter writer(out);
    common::CancelToken cancel;
    global.exit_code = builder::run_image(request, writer, cancel);
  });
}

}  // namespace mybuild::cli
