#include "tests/differential/differential_check.h"

#include <ctime>
#include <set>

#include "tests/differential/image_compare.h"
#include "tests/differential/known_differences.h"

namespace mybuild::differential {

namespace fs = std::filesystem;

namespace {

constexpr const char* kMybuildFails = "build: mybuild fails";

std::string indent(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += "  " + l + "\n";
  return out;
}

}  // namespace

CheckResult check_same_as_buildah(Mybuild& mybuild, Buildah& buildah, const BuildRequest& request,
                                  const BuildRequest& for_buildah,
                                  const fs::path& known_differences, const fs::path& work,
                                  size_t base_history) {
  CheckResult result;
  std::set<std::string> expected;
  for (const auto& k : read_known_differences(known_differences)) expected.insert(k.line);

  // Files made during the builds get mtimes from here on; anything older was kept.
  const int64_t build_start = std::time(nullptr);
  Ran b = buildah.build(for_buildah);
  if (b.code != 0) {
    result.failure = "buildah build failed:\n" + b.out;
    return result;
  }
  Ran m = mybuild.build(request);
  if (m.code != 0) {
    if (!expected.count(kMybuildFails)) result.failure = "mybuild build failed:\n" + m.out;
    return result;
  }
  if (expected.count(kMybuildFails)) {
    result.failure = "mybuild builds this now: remove '" + std::string(kMybuildFails) + "' from " +
                     known_differences.string();
    return result;
  }

  result.mybuild_image = mybuild.export_image(request.tag, work / "out-mybuild");
  result.buildah_image = buildah.export_image(for_buildah.tag, work / "out-buildah");
  CompareOptions options;
  options.build_start = build_start;
  options.base_history = base_history;
  std::vector<std::string> found =
      compare_images(result.mybuild_image, result.buildah_image, options);

  std::vector<std::string> unexpected, gone;
  for (const auto& f : found) {
    if (!expected.count(f)) unexpected.push_back(f);
  }
  std::set<std::string> seen(found.begin(), found.end());
  for (const auto& e : expected) {
    if (!seen.count(e)) gone.push_back(e);
  }
  if (!unexpected.empty()) {
    result.failure +=
        "differences from buildah not in " + known_differences.string() +
        " (a mybuild bug, or list it with its reason):\n" + indent(unexpected) +
        "mybuild history:\n" + indent(history_summary(result.mybuild_image, base_history)) +
        "buildah history:\n" + indent(history_summary(result.buildah_image, base_history));
  }
  if (!gone.empty()) {
    result.failure += "known differences no longer seen (remove them from " +
                      known_differences.string() + "):\n" + indent(gone);
  }
  return result;
}

}  // namespace mybuild::differential
