// Differential tests: every case under cases/ is built by mybuild and by buildah from the same
// base image and context, and the two images must be the same but for the differences the
// case lists, each with its reason, in cases/<name>/known_differences (known_differences.h).
//
// A case is a folder:
//   Dockerfile          built by both (with -f, from outside the context)
//   Dockerfile.buildah  optional: the same build for buildah where buildah 1.28 lacks the syntax
//                       (heredocs); the case says why
//   context/            the build context; every mtime is set to kContextMtime before the build
//   prepare.sh          optional: run in the copied context first (makes archives, modes)
//   build_args          optional: one K=V per line, given to both as --build-arg
//   known_differences   the expected differences and their reasons
// MYBUILD_DIFF_KEEP=1 in the environment keeps each test's work dir (both images exported as
// OCI layouts) for a closer look.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iostream>

#include "tests/differential/builders.h"
#include "tests/differential/differential_check.h"

namespace mybuild::differential {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kBaseMtime = 1500000000;     // 2017: the busybox base's files
constexpr int64_t kContextMtime = 1600000000;  // 2020: every file of a build context

const fs::path kCases = fs::path(MYBUILD_SOURCE_DIR) / "tests/differential/cases";

std::vector<std::string> case_names() {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(kCases, ec)) {
    if (e.is_directory()) names.push_back(e.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<std::string> read_lines(const fs::path& file) {
  std::vector<std::string> lines;
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line[0] != '#') lines.push_back(line);
  }
  return lines;
}

class Differential : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "buildah's chroot isolation and vfs storage need root";
    for (const char* tool : {"buildah", "skopeo", "tar"}) {
      if (!have_tool(tool)) GTEST_SKIP() << tool << " not installed (deps/differential.txt)";
    }
    if (!fs::exists("/bin/busybox")) GTEST_SKIP() << "busybox-static not installed";
    fs::path tar = work_.path() / "busybox.tar";
    make_busybox_rootfs_tar(work_.path(), tar, kBaseMtime);
    share_base(mybuild_, buildah_, tar, "busybox:latest");
  }
  void TearDown() override {
    // MYBUILD_DIFF_KEEP=1 keeps the exported images (out-mybuild/, out-buildah/) to look into.
    if (std::getenv("MYBUILD_DIFF_KEEP") != nullptr) {
      std::cerr << "kept " << work_.release().string() << "\n";
    }
  }

  common::TempDir work_{"mybuild-differential-"};
  Mybuild mybuild_{MYBUILD_BINARY, work_.path()};
  Buildah buildah_{work_.path()};
};

TEST_P(Differential, SameImageAsBuildah) {
  const fs::path dir = kCases / GetParam();
  const fs::path context = work_.path() / "context";
  copy_tree(dir / "context", context);
  if (fs::exists(dir / "prepare.sh")) {
    Ran prep = run({"sh", (dir / "prepare.sh").string()}, context);
    ASSERT_EQ(prep.code, 0) << "prepare.sh:\n" << prep.out;
  }
  pin_mtimes(context, kContextMtime);

  BuildRequest request{dir / "Dockerfile", context, "diff-" + GetParam() + ":latest",
                       read_lines(dir / "build_args"), ""};
  BuildRequest for_buildah = request;
  if (fs::exists(dir / "Dockerfile.buildah")) for_buildah.dockerfile = dir / "Dockerfile.buildah";
  // `mybuild import` writes one history entry, the base of every case's final stage.
  CheckResult r = check_same_as_buildah(mybuild_, buildah_, request, for_buildah,
                                        dir / "known_differences", work_.path(), 1);
  EXPECT_TRUE(r.failure.empty()) << r.failure;
}

INSTANTIATE_TEST_SUITE_P(Cases, Differential, ::testing::ValuesIn(case_names()),
                         [](const auto& p) { return p.param; });

}  // namespace
}  // namespace mybuild::differential
