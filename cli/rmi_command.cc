// `mybuild rmi [-f] IMAGE...` (docker rmi): removes tags; the blobs stay until `mybuild prune`.
// Every name is tried; each failure is reported, and the command fails when any did.
#include <exception>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/error_report.h"
#include "image/commands.h"

namespace mybuild::cli {
namespace {

struct RmiFlags {
  std::vector<std::string> names;
  bool force = false;
};

}  // namespace

void add_rmi_command(CLI::App& app, GlobalOptions& global, std::ostream& out, std::ostream& err) {
  auto flags = std::make_shared<RmiFlags>();
  auto* cmd = app.add_subcommand("rmi", "Remove images (their tags) from the local store");
  cmd->add_option("images", flags->names, "Image names or IDs")->required();
  cmd->add_flag("-f,--force", flags->force, "Remove every tag of an image given by ID");
  cmd->callback([flags, &global, &out, &err] {
    std::exception_ptr last;
    for (const auto& name : flags->names) {
      try {
        for (const auto& n :
             image::remove_image(prepare_root(global, /*create=*/false), name, flags->force)) {
          out << "Untagged: " << image::familiar(n) << "\n";
        }
      } catch (const std::exception& e) {
        // Report the earlier failure now; the last one is thrown for main's one report.
        if (last) {
          try {
            std::rethrow_exception(last);
          } catch (const std::exception& earlier) {
            report_error(earlier, err, global.debug);
          }
        }
        last = std::current_exception();
      }
    }
    if (last) std::rethrow_exception(last);
  });
}

}  // namespace mybuild::cli
