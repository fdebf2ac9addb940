// libFuzzer target: the build context's .dockerignore filter (builder/context/dockerignore.h),
// as the context walker asks it. Input: the .dockerignore text up to the first 0x01 byte, then
// 0x01-separated paths (cleaned here into the relative form the filter is promised). A
// malformed pattern may throw common::Error; anything else that escapes is a bug, and so is a
// pruning mistake: when an ancestor directory is excluded and the filter says nothing below it
// can be re-included (may_reinclude_under false), the walker never looks inside, so the filter
// must call every path below it excluded too.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "builder/context/dockerignore.h"
#include "common/error.h"

namespace {

// "a//./b/" -> "a/b"; ".." components are dropped (the walker never produces them).
std::string clean(std::string_view raw) {
  std::string out;
  while (!raw.empty()) {
    const std::size_t slash = raw.find('/');
    const std::string_view part = raw.substr(0, slash);
    raw.remove_prefix(slash == std::string_view::npos ? raw.size() : slash + 1);
    if (part.empty() || part == "." || part == "..") continue;
    if (!out.empty()) out += '/';
    out += part;
  }
  return out;
}

void check_path(const mybuild::builder::ContextFilter& filter, const std::string& path) {
  const bool excluded = filter.excluded(path);
  for (std::size_t slash = path.find('/'); slash != std::string::npos;
       slash = path.find('/', slash + 1)) {
    const std::string dir = path.substr(0, slash);
    if (filter.excluded(dir) && !filter.may_reinclude_under(dir) && !excluded) __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t cut = input.find('\x01');
  static const auto factory = mybuild::builder::dockerignore_filter_factory();
  try {
    const auto filter = factory(input.substr(0, cut), ".dockerignore");
    std::string_view rest = cut == std::string_view::npos ? "" : input.substr(cut + 1);
    for (int budget = 16; budget > 0 && !rest.empty(); --budget) {
      const std::size_t next = rest.find('\x01');
      const std::string path = clean(rest.substr(0, next));
      rest.remove_prefix(next == std::string_view::npos ? rest.size() : next + 1);
      if (!path.empty()) check_path(*filter, path);
    }
  } catch (const mybuild::common::Error&) {
  }
  return 0;
}
