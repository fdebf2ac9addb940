// `mybuild inspect IMAGE...` (docker image inspect): a JSON array of what the store knows about
// each image, with its manifest; with --remote, of what each reference's registry holds
// (image/remote_inspect.h), pulling nothing. Names that are not found are reported after the
// array is printed, and make the command fail, as docker does.
#include <exception>
#include <memory>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/error_report.h"
#include "cli/registry_flags.h"
#include "common/error.h"
#include "image/commands.h"
#include "image/remote_inspect.h"

namespace mybuild::cli {
namespace {

struct InspectFlags {
  std::vector<std::string> names;
  bool remote = false;
  std::string platform;
  image::RegistryFlags registry;
};

}  // namespace

void add_inspect_command(CLI::App& app, GlobalOptions& global, std::ostream& out,
                         std::ostream& err) {
  auto flags = std::make_shared<InspectFlags>();
  auto* cmd = app.add_subcommand("inspect", "Show images' config, layers and manifest as JSON");
  cmd->add_option("images", flags->names, "Image names or IDs (references with --remote)")
      ->required();
  cmd->add_flag(
      "--remote", flags->remote,
      "Inspect each reference in its registry instead of the local store (pulls nothing)");
  cmd->add_option("--platform", flags->platform,
                  "With --remote: the platform to show from an index (os/arch[/variant]); "
                  "default: this host");
  add_registry_flags(cmd, flags->registry);
  cmd->callback([flags, &global, &out, &err] {
    if (!flags->platform.empty() && !flags->remote) {
      throw common::Error(common::ErrorKind::kUsage,
                          "inspect: --platform only applies with --remote");
    }
    nlohmann::json all = nlohmann::json::array();
    std::vector<std::exception_ptr> failures;
    for (const auto& name : flags->names) {
      try {
        all.push_back(flags->remote
                          ? image::inspect_remote_image(name, flags->platform, flags->registry)
                          : image::inspect_image(prepare_root(global, /*create=*/false), name));
      } catch (const std::exception&) {
        failures.push_back(std::current_exception());
      }
    }
    out << all.dump(4) << "\n";
    for (size_t i = 0; i + 1 < failures.size(); ++i) {
      try {
        std::rethrow_exception(failures[i]);
      } catch (const std::exception& e) {
        report_error(e, err, global.debug);
      }
    }
    if (!failures.empty()) std::rethrow_exception(failures.back());
  });
}

}  // namespace mybuild::cli
