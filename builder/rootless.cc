#include "builder/rootless.h"

#include <unistd.h>

#include <string>

#include "common/error.h"
#include "common/log.h"
#include "sandbox/rootless.h"

namespace mybuild::builder {

std::optional<int> enter_rootless_if_needed(std::string_view isolation) {
  if (::geteuid() == 0) return std::nullopt;
  if (isolation == "namespaces" || isolation == "chroot") {
    throw common::Error(common::ErrorKind::kUsage,
                        "--isolation=" + std::string(isolation) +
                            " needs root; unprivileged, mybuild runs rootless (in a user "
                            "namespace): --isolation=rootless or auto");
  }
  sandbox::RootlessPlan plan = sandbox::plan_rootless();
  for (const auto& w : plan.warnings) common::log::warn(w);
  try {
    return sandbox::enter_rootless(plan);
  } catch (common::Error& e) {
    // Without a user namespace an unprivileged mybuild has no isolation left to fall back on:
    // chroot(2) needs CAP_SYS_CHROOT. Said here, since auto would otherwise try it.
    e.add_context(
        "rootless isolation (chroot isolation, the fallback where namespaces are "
        "forbidden, needs mybuild to run as root)");
    throw;
  }
}

bool running_rootless() { return sandbox::inside_rootless(); }

}  // namespace mybuild::builder
