// samples/multistage-c built by mybuild and by buildah on the same debian:bookworm (made by
// tools/make_debian_base.sh with gcc, cached in the build tree) and busybox bases: the images must
// match (but for multistage-c.known_differences), only the static binary may reach the final
// image, and that binary must run and print its arguments.
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "tests/differential/builders.h"
#include "tests/differential/differential_check.h"

namespace mybuild::differential {
namespace {

namespace fs = std::filesystem;

const fs::path kSource = MYBUILD_SOURCE_DIR;

class MultistageSample : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "debootstrap and buildah's chroot isolation need root";
    for (const char* tool : {"buildah", "skopeo", "tar", "debootstrap"}) {
      if (!have_tool(tool)) GTEST_SKIP() << tool << " not installed (deps/differential.txt)";
    }
    if (!fs::exists("/bin/busybox")) GTEST_SKIP() << "busybox-static not installed";
    // Cached: the script does nothing when the tar is newer than the script.
    Ran made = run({"sh", (kSource / "tools/make_debian_base.sh").string(), DEBIAN_BASE_TAR});
    ASSERT_EQ(made.code, 0) << "tools/make_debian_base.sh:\n" << made.out;
    fs::path busybox = work_.path() / "busybox.tar";
    make_busybox_rootfs_tar(work_.path(), busybox, 1500000000);
    share_base(mybuild_, buildah_, busybox, "busybox:latest");
    share_base(mybuild_, buildah_, DEBIAN_BASE_TAR, "debian:bookworm");
  }

  common::TempDir work_{"mybuild-sample-"};
  Mybuild mybuild_{MYBUILD_BINARY, work_.path()};
  Buildah buildah_{work_.path()};
};

// Writes the regular file `path` of a layer blob to `to`; false when the layer lacks it.
bool extract_file(const fs::path& blob, const std::string& path, const fs::path& to) {
  struct archive* a = archive_read_new();
  archive_read_support_filter_all(a);
  archive_read_support_format_tar(a);
  bool found = false;
  if (archive_read_open_filename(a, blob.c_str(), 1 << 16) == ARCHIVE_OK) {
    struct archive_entry* e;
    while (!found && archive_read_next_header(a, &e) == ARCHIVE_OK) {
      std::string name = archive_entry_pathname(e);
      if (name.rfind("./", 0) == 0) name.erase(0, 2);
      if (name != path) continue;
      int fd = ::open(to.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0755);
      found = fd >= 0 && archive_read_data_into_fd(a, fd) == ARCHIVE_OK;
      if (fd >= 0) ::close(fd);
    }
  }
  archive_read_free(a);
  return found;
}

// A RUN on the default network (a private namespace behind slirp4netns, the host's loopback out
// of reach) still reaches Debian's mirror: apt-get update and install work, as docker build's
// bridge gives. Skipped where this host itself cannot reach the mirror.
TEST_F(MultistageSample, AptGetInstallWorksOnTheDefaultNetwork) {
  if (run({"getent", "hosts", "deb.debian.org"}).code != 0) {
    GTEST_SKIP() << "this host cannot resolve deb.debian.org";
  }
  fs::path context = work_.path() / "apt";
  fs::create_directories(context);
  {
    std::ofstream(context / "Dockerfile")
        << "FROM debian:bookworm\n"
           "RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends hello "
           "&& hello > /greeting\n";
  }
  Ran r = mybuild_.build({context / "Dockerfile", context, "apt:latest", {}, ""});
  ASSERT_EQ(r.code, 0) << r.out;
  Image image = mybuild_.export_image("apt:latest", work_.path() / "apt-out");
  ASSERT_FALSE(image.layers.empty());
  const Entry* greeting = nullptr;
  for (const Entry& e : image.layers.back().entries) {
    if (e.path == "greeting") greeting = &e;
  }
  ASSERT_NE(greeting, nullptr) << "the RUN wrote no /greeting";
  EXPECT_EQ(greeting->size, 14) << "\"Hello, world!\\n\" from Debian's hello";
}

TEST_F(MultistageSample, SameImageAsBuildahAndTheBinaryRuns) {
  fs::path context = work_.path() / "context";
  copy_tree(kSource / "samples/multistage-c", context);
  pin_mtimes(context, 1600000000);
  BuildRequest request{context / "Dockerfile", context, "multistage-c:latest", {}, ""};
  CheckResult r = check_same_as_buildah(
      mybuild_, buildah_, request, request,
      kSource / "tests/differential/multistage-c.known_differences", work_.path(), 1);
  EXPECT_TRUE(r.failure.empty()) << r.failure;
  if (r.mybuild_image.layers.empty()) return;

  // Only the binary reaches the final image: busybox's layer, then COPY --from's.
  const Image& image = r.mybuild_image;
  ASSERT_EQ(image.layers.size(), 2u);
  std::vector<std::string> paths;
  for (const Entry& e : image.layers[1].entries) {
    if (e.type != Entry::kDir) paths.push_back(e.path);
  }
  EXPECT_EQ(paths, std::vector<std::string>{"usr/local/bin/hello"});
  EXPECT_EQ(image.config["config"]["Entrypoint"], nlohmann::json({"/usr/local/bin/hello"}));
  EXPECT_EQ(image.config["config"]["User"], "65534");

  // The static binary runs here as it would in the image, with ENTRYPOINT + CMD's arguments.
  fs::path hello = work_.path() / "hello";
  fs::path blob = work_.path() / "out-mybuild/blobs/sha256" / image.layers[1].digest.substr(7);
  ASSERT_TRUE(extract_file(blob, "usr/local/bin/hello", hello));
  Ran ran = run({hello.string(), "from", "CMD"});
  EXPECT_EQ(ran.code, 0);
  EXPECT_EQ(ran.out, "hello from a multi-stage mybuild image\narg 1: from\narg 2: CMD\n");
}

}  // namespace
}  // namespace mybuild::differential
