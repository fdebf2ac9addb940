// `mybuild tag SOURCE TARGET` (docker tag): SOURCE by name, name@digest or image ID prefix.
#include <memory>
#include <string>

#include "cli/commands.h"
#include "image/commands.h"

namespace mybuild::cli {

void add_tag_command(CLI::App& app, GlobalOptions& global) {
  auto args = std::make_shared<std::pair<std::string, std::string>>();
  auto* cmd = app.add_subcommand("tag", "Create a tag TARGET that refers to SOURCE");
  cmd->add_option("source", args->first, "SOURCE_IMAGE[:TAG] or image ID")->required();
  cmd->add_option("target", args->second, "TARGET_IMAGE[:TAG]")->required();
  // docker tag prints nothing on success.
  cmd->callback(
      [args, &global] { image::tag_image(prepare_root(global), args->first, args->second); });
}

}  // namespace mybuild::cli
