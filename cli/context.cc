#include "cli/context.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "builder/reclaim.h"
#include "builder/rootless.h"
#include "common/private_dir.h"

namespace mybuild::cli {

std::string resolve_root(const GlobalOptions& opts) {
  // Absolute: the sandbox resolves paths under the root from other mount namespaces, where a
  // relative path means something else.
  if (!opts.root.empty()) return std::filesystem::absolute(opts.root).lexically_normal().string();
  if (const char* env = std::getenv("MYBUILD_ROOT"); env && *env) {
    return std::filesystem::absolute(env).lexically_normal().string();
  }
  // Inside a rootless mybuild the uid is 0 too, but the root was passed in (cli/app.cc); this
  // only guards a caller that forgot.
  if (::geteuid() == 0 && !builder::running_rootless()) return "/var/lib/mybuild";
  if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg && *xdg) {
    return std::string(xdg) + "/mybuild";
  }
  const char* home = std::getenv("HOME");
  return std::string(home && *home ? home : "/tmp") + "/.local/share/mybuild";
}

std::string prepare_root(const GlobalOptions& opts, bool create) {
  std::string root = resolve_root(opts);
  if (create || std::filesystem::exists(root)) common::ensure_private_dir(root);
  // Every command that opens the root first takes back what killed mybuilds left there.
  builder::reclaim_dead(root);
  return root;
}

}  // namespace mybuild::cli
