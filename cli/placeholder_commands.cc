#include <array>
#include <string>

#include "cli/commands.h"
#include "common/error.h"

namespace mybuild::cli {
namespace {

struct Placeholder {
  const char* name;
  const char* help;
};

constexpr std::array kPlaceholders = {
    Placeholder{"images", "List images in the local store"},
    Placeholder{"push", "Push an image to a registry"},
    Placeholder{"pull", "Pull an image from a registry"},
    Placeholder{"tag", "Create a tag that refers to an image"},
    Placeholder{"rmi", "Remove images from the local store"},
    Placeholder{"inspect", "Show an image's manifest and config"},
};

}  // namespace

void add_placeholder_commands(CLI::App& app) {
  for (const auto& p : kPlaceholders) {
    auto* sub = app.add_subcommand(p.name, std::string(p.help) + " (not implemented yet)");
    sub->allow_extras();
    std::string name = p.name;
    sub->callback([name] {
      throw common::Error(common::ErrorKind::kInternal,
                          "mybuild " + name + ": not implemented yet");
    });
  }
}

}  // namespace mybuild::cli
