// followed_copy_top (follow.h).
#include "builder/copy/follow.h"

#include <string_view>

#include "builder/copy/reuse.h"

namespace mybuild::builder {

std::optional<std::string> followed_copy_top(const CopyPlan& plan, bool from_build_context,
                                             std::span<const CopySource> sources) {
  if (sources.size() != 1 || !sources.front().is_dir ||
      !copy_reusable(plan, from_build_context, sources)) {
    return std::nullopt;
  }
  // The first name of the (absolute) destination; "..", which resolves against the tree, and
  // the root itself, whose names the source decides, keep the usual path.
  std::optional<std::string> top;
  std::string_view rest = plan.dest;
  while (!rest.empty()) {
    const size_t slash = rest.find('/');
    const std::string_view part = rest.substr(0, slash);
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
    if (part == "..") return std::nullopt;
    if (!top && !part.empty() && part != ".") top = std::string(part);
  }
  return top;
}

}  // namespace mybuild::builder
