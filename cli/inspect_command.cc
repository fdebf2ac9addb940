// `mybuild inspect IMAGE...` (docker image inspect): a JSON array of what the store knows about
// each image, with its manifest. Names that are not found are reported after the array is
// printed, and make the command fail, as docker does.
#include <exception>
#include <memory>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "builder/image_commands.h"
#include "cli/commands.h"
#include "cli/error_report.h"

namespace mybuild::cli {

void add_inspect_command(CLI::App& app, GlobalOptions& global, std::ostream& out,
                         std::ostream& err) {
  auto names = std::make_shared<std::vector<std::string>>();
  auto* cmd = app.add_subcommand("inspect", "Show images' config, layers and manifest as JSON");
  cmd->add_option("images", *names, "Image names or IDs")->required();
  cmd->callback([names, &global, &out, &err] {
    nlohmann::json all = nlohmann::json::array();
    std::vector<std::exception_ptr> failures;
    for (const auto& name : *names) {
      try {
        all.push_back(builder::inspect_image(resolve_root(global), name));
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
