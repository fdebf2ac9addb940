#include "tests/differential/known_differences.h"

#include <fstream>
#include <stdexcept>

namespace mybuild::differential {

std::vector<KnownDifference> read_known_differences(const std::filesystem::path& file) {
  std::vector<KnownDifference> out;
  std::ifstream in(file);
  if (!in) return out;
  std::string line, reason;
  bool bug = false;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty()) {
      reason.clear();
      continue;
    }
    if (line[0] == '#') {
      if (reason.empty()) {
        bug = line.rfind("# mybuild bug:", 0) == 0;
        if (!bug && line.rfind("# why:", 0) != 0) {
          throw std::runtime_error(file.string() + ":" + std::to_string(number) +
                                   ": a reason starts with '# why:' or '# mybuild bug:'");
        }
      }
      reason += line + "\n";
      continue;
    }
    if (reason.empty()) {
      throw std::runtime_error(file.string() + ":" + std::to_string(number) +
                               ": a known difference needs a reason above it");
    }
    out.push_back({line, reason, bug});
  }
  return out;
}

}  // namespace mybuild::differential
