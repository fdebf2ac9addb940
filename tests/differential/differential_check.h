// One differential check, shared by the case suite and the sample test: build the same request
// with buildah and with mybuild, export both images, compare them, and hold the result against
// the known differences (known_differences.h).
#pragma once

#include <filesystem>
#include <string>

#include "tests/differential/builders.h"

namespace mybuild::differential {

struct CheckResult {
  std::string failure;  // empty when the images differ exactly as listed
  Image mybuild_image;  // set when both builds succeeded
  Image buildah_image;
};

// `for_buildah` is `request` with the Dockerfile buildah can read (it may be the same). A
// failing mybuild build is a failure unless the known differences list "build: mybuild fails".
// `base_history` is the number of history entries of the final stage's base image.
CheckResult check_same_as_buildah(Mybuild& mybuild, Buildah& buildah, const BuildRequest& request,
                                  const BuildRequest& for_buildah,
                                  const std::filesystem::path& known_differences,
                                  const std::filesystem::path& work, size_t base_history);

}  // namespace mybuild::differential
