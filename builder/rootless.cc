#include "builder/rootless.h"

#include <unistd.h>

#include "common/log.h"
#include "sandbox/rootless.h"

namespace mybuild::builder {

std::optional<int> enter_rootless_if_needed() {
  if (::geteuid() == 0) return std::nullopt;
  sandbox::RootlessPlan plan = sandbox::plan_rootless();
  for (const auto& w : plan.warnings) common::log::warn(w);
  return sandbox::enter_rootless(plan);
}

bool running_rootless() { return sandbox::inside_rootless(); }

}  // namespace mybuild::builder
