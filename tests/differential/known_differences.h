// The differences a case expects between mybuild's image and buildah's, each with its reason,
// read from cases/<name>/known_differences:
//
//   # why: buildah 1.28 makes WORKDIR's directory only when a later RUN needs it; BuildKit
//   # makes it in the WORKDIR step (dockerfile2llb dispatchWorkdir).
//   history[3] WORKDIR: /app: written only by mybuild (d 0755 0:0)
//
//   # mybuild bug: ...
//   config.Env: mybuild=... buildah=...
//
// A difference line must follow a comment block that starts with "# why:" (the tools may
// differ: a justified difference) or "# mybuild bug:" (a difference we know is mybuild's fault;
// listed so the suite stays green and the bug stays visible; the test fails once it is fixed,
// to have the line removed). Blank lines end a block.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace mybuild::differential {

struct KnownDifference {
  std::string line;    // exactly as compare_images() prints it
  std::string reason;  // the comment block above it
  bool mybuild_bug = false;
};

// A missing file is an empty list. Throws std::runtime_error naming the file and line for a
// difference without a reason.
std::vector<KnownDifference> read_known_differences(const std::filesystem::path& file);

}  // namespace mybuild::differential
