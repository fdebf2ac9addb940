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
  cmd->add_option("-e,--env", flags->request.env, "Set an environment variable (K=V)");
  cmd->add_option("-u,--user", flags->request.user, "User (name or uid[:gid])");
  cmd->add_option("--network", flags->request.network, "none (default), host or default")
      ->check(CLI::IsMember({"none", "host", "default"}));
  cmd->add_option("--entrypoint", flags->entrypoint, "Replace the image's ENTRYPOINT");
  cmd->prefix_command();  // IMAGE and everything after it are the command, not our flags
  cmd->footer("Usage: mybuild run [FLAGS] IMAGE [COMMAND [ARG...]]");
  cmd->callback([flags, cmd, &global, &out] {
    std::vector<std::string> rest = cmd->remaining();
    if (rest.empty()) throw common::Error(common::ErrorKind::kUsage, "mybuild run needs an IMAGE");
    builder::RunRequest request = flags->request;
    request.store_root = resolve_root(global);
    request.image = rest[0];
    request.command.assign(rest.begin() + 1, rest.end());
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
