#include "builder/platforms.h"

#include <algorithm>
#include <string>

#include "common/error.h"

namespace mybuild::builder {

using common::Error;
using common::ErrorKind;

std::vector<common::Platform> parse_platform_list(std::string_view list) {
  if (list.empty()) return {common::Platform::host()};
  std::vector<common::Platform> out;
  while (true) {
    const size_t comma = list.find(',');
    const std::string_view entry = list.substr(0, comma);
    if (entry.empty()) {
      throw Error(ErrorKind::kUsage,
                  "--platform has an empty entry: want os/arch[/variant] "
                  "separated by commas, e.g. linux/amd64,linux/arm64");
    }
    common::Platform p = common::Platform::parse(entry);
    if (std::find(out.begin(), out.end(), p) != out.end()) {
      throw Error(ErrorKind::kUsage, "--platform names " + p.str() + " twice");
    }
    out.push_back(std::move(p));
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return out;
}

}  // namespace mybuild::builder
