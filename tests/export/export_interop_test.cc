// -o/--output exporters read by independent tools (STYLE.md §8): skopeo and umoci read the OCI
// tar and directory, podman loads (and runs) the docker tar, GNU tar unpacks the rootfs tar,
// and every unpacked tree is compared with the one umoci makes from the same image.
//
// The image: a busybox rootfs (busybox-static) as layer 1; layer 2 changes a file, deletes one
// with a whiteout and empties a directory with an opaque whiteout.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>

#include "common/error.h"
#include "common/io.h"
#include "common/temp_dir.h"
#include "image/export.h"
#include "image/export_test_image.h"
#include "snapshot/layer_test_util.h"
#include "snapshot/layer_writer.h"

namespace mybuild {
namespace {

namespace fs = std::filesystem;
using image::export_image;
using image::parse_output;
using namespace image::export_testing;
using snapshot::testing::describe_tree;
using snapshot::testing::write_text;

struct Ran {
  int code = -1;
  std::string out;  // stdout only; stderr goes to the test log
};

Ran run(const std::string& cmd) {
  Ran r;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return r;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  int status = ::pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

bool have(const char* tool) {
  return run(std::string("command -v ") + tool + " >/dev/null").code == 0;
}

std::string q(const fs::path& p) { return "'" + p.string() + "'"; }

const char* kName = "mybuild-export-test:v1";  // familiar form; docker.io/library/... in full

class ExportInterop : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "umoci and podman keep owners only as root";
    if (!fs::exists("/bin/busybox")) GTEST_SKIP() << "busybox-static not installed";
    fs::path rootfs = work_.path() / "busybox";
    fs::create_directories(rootfs / "bin");
    fs::copy_file("/bin/busybox", rootfs / "bin/busybox");
    ::chmod((rootfs / "bin/busybox").c_str(), 0755);
    for (const char* applet : {"sh", "echo", "cat", "test", "ls"}) {
      fs::create_symlink("busybox", rootfs / "bin" / applet);
    }
    write_text(rootfs / "etc/passwd", "root:x:0:0:root:/root:/bin/sh\n");
    write_text(rootfs / "a/keep", "keep");
    write_text(rootfs / "a/gone", "gone");
    write_text(rootfs / "d/old", "old");
    for (const auto& e : fs::recursive_directory_iterator(rootfs)) {
      snapshot::testing::set_mtime(e.path(), 1700000000);  // umoci's Go tar keeps whole seconds
    }
    snapshot::testing::set_mtime(rootfs, 1700000000);

    auto writer = content_.writer("busybox layer");
    snapshot::Layer base = snapshot::write_tree_layer(rootfs, *writer, {});
    base.descriptor.digest = writer->commit();
    StoredLayer top =
        put_layer(content_, {dir("a"), whiteout("a", "gone"), file("a/keep", "changed"), dir("d"),
                             file("d/.wh..wh..opq", ""), file("d/new", "new")});
    image_ = put_image(content_, {{base.descriptor, base.diff_id}, top}, common::Platform::host(),
                       {"/bin/sh"});
  }

  void export_to(const std::string& output, std::vector<std::string> names = {kName}) {
    image::export_image(content_, image_.manifest, names, image::parse_output(output));
  }
  fs::path path(const std::string& name) const { return work_.path() / name; }

  // The tree umoci unpacks from an OCI layout directory `layout` at tag `tag`.
  std::string umoci_tree(const fs::path& layout, const std::string& tag) {
    fs::path bundle = path("bundle-" + tag + "-" + std::to_string(bundles_++));
    Ran r = run("umoci unpack --image " + q(layout) + ":" + tag + " " + q(bundle) + " 2>&1");
    EXPECT_EQ(r.code, 0) << r.out;
    return describe_tree(bundle / "rootfs");
  }
  std::string local_tree() {
    fs::path dir = path("local-" + std::to_string(bundles_++));
    export_to("type=local,dest=" + dir.string());
    return describe_tree(dir);
  }

  common::TempDir work_{"export-interop-"};
  snapshot::ContentStore content_{work_.path() / "store"};
  TestImage image_;
  int bundles_ = 0;
};

TEST_F(ExportInterop, OciTarIsReadBySkopeoAndUmoci) {
  if (!have("skopeo") || !have("umoci")) GTEST_SKIP() << "skopeo/umoci not installed";
  fs::path tar = path("oci.tar");
  export_to("type=oci,dest=" + tar.string());

  // skopeo finds the image by its ref.name (the tag) and reads our manifest byte for byte.
  Ran raw = run("skopeo inspect --raw oci-archive:" + q(tar) + ":v1");
  ASSERT_EQ(raw.code, 0);
  EXPECT_EQ(raw.out, content_.read_small(image_.manifest.digest));
  Ran config = run("skopeo inspect --config oci-archive:" + q(tar) + ":v1");
  ASSERT_EQ(config.code, 0);
  EXPECT_EQ(nlohmann::json::parse(config.out)["rootfs"]["diff_ids"][1],
            image_.layers[1].diff_id.str());
  // A copy verifies every blob's digest.
  fs::path copy = path("copy");
  ASSERT_EQ(run("skopeo copy -q oci-archive:" + q(tar) + ":v1 oci:" + q(copy) + ":v1").code, 0);

  // umoci reads layouts from a directory: unpack the tar with GNU tar, then umoci the result.
  fs::path unpacked = path("oci-unpacked");
  fs::create_directory(unpacked);
  ASSERT_EQ(run("tar -xf " + q(tar) + " -C " + q(unpacked)).code, 0);
  std::string theirs = umoci_tree(unpacked, "v1");
  EXPECT_EQ(theirs, local_tree());
  EXPECT_NE(theirs.find("a/keep mode="), std::string::npos);
  EXPECT_EQ(theirs.find("a/gone"), std::string::npos) << "whiteout not applied";
  EXPECT_EQ(theirs.find("d/old"), std::string::npos) << "opaque dir not applied";
  EXPECT_NE(theirs.find("data=changed"), std::string::npos);
}

TEST_F(ExportInterop, OciDirectoryIsReadByUmociAndGrowsWithEachExport) {
  if (!have("skopeo") || !have("umoci")) GTEST_SKIP() << "skopeo/umoci not installed";
  fs::path layout = path("layout");
  export_to("type=oci,tar=false,dest=" + layout.string());
  Ran inspect = run("skopeo inspect oci:" + q(layout) + ":v1");
  ASSERT_EQ(inspect.code, 0);
  EXPECT_EQ(nlohmann::json::parse(inspect.out)["Digest"], image_.manifest.digest.str());
  EXPECT_EQ(umoci_tree(layout, "v1"), local_tree());

  export_to("type=oci,tar=false,dest=" + layout.string(), {"mybuild-export-test:v2"});
  Ran ls = run("umoci ls --layout " + q(layout));
  ASSERT_EQ(ls.code, 0);
  EXPECT_EQ(ls.out, "v1\nv2\n");
}

// podman with its own storage in the test's temp dir: nothing touches the machine's images.
class Podman {
 public:
  explicit Podman(const fs::path& dir)
      : base_("podman --root " + q(dir / "root") + " --runroot " + q(dir / "run") +
              " --storage-driver vfs --cgroup-manager cgroupfs --events-backend file ") {}
  ~Podman() {
    for (const std::string& image : loaded_) run(base_ + "rmi -f " + image + " >/dev/null 2>&1");
  }
  Ran operator()(const std::string& args) const { return run(base_ + args); }
  void loaded(std::string image) { loaded_.push_back(std::move(image)); }

 private:
  std::string base_;
  std::vector<std::string> loaded_;
};

TEST_F(ExportInterop, DockerTarIsLoadedByPodmanAndReadBySkopeo) {
  if (!have("podman") || !have("skopeo")) GTEST_SKIP() << "podman/skopeo not installed";
  fs::path tar = path("docker.tar");
  export_to("type=docker,dest=" + tar.string());

  Ran config = run("skopeo inspect --config docker-archive:" + q(tar));
  ASSERT_EQ(config.code, 0);
  EXPECT_EQ(nlohmann::json::parse(config.out),
            nlohmann::json::parse(content_.read_small(image_.config.digest)));
  Ran inspect = run("skopeo inspect docker-archive:" + q(tar));
  ASSERT_EQ(inspect.code, 0);
  EXPECT_EQ(nlohmann::json::parse(inspect.out)["Layers"].size(), 2u);

  Podman podman(path("podman"));
  Ran load = podman("load -i " + q(tar) + " 2>&1");
  ASSERT_EQ(load.code, 0) << load.out;
  podman.loaded("docker.io/library/mybuild-export-test:v1");
  EXPECT_NE(load.out.find("Loaded image: docker.io/library/mybuild-export-test:v1"),
            std::string::npos)
      << load.out;
  // podman's image id is the config digest, as docker's is.
  Ran id = podman("image inspect --format '{{.Id}}' mybuild-export-test:v1");
  ASSERT_EQ(id.code, 0);
  EXPECT_EQ(id.out, std::string(image_.config.digest.hex()) + "\n");

  // It runs, offline, and sees the final filesystem. runc with explicit rlimits: podman's
  // defaults raise RLIMIT_NOFILE/NPROC, which this machine's container refuses, and crun
  // refuses its hybrid cgroup hierarchy.
  Ran hi = podman(
      "run --rm --network=none --runtime runc --ulimit nofile=1024:1024 "
      "--ulimit nproc=1024:1024 " +
      std::string(image_.config.digest.hex()) +
      " /bin/sh -c 'echo hi; cat /a/keep; echo; test ! -e /a/gone && test ! -e /d/old && echo "
      "gone'");
  EXPECT_EQ(hi.code, 0);
  EXPECT_EQ(hi.out, "hi\nchanged\ngone\n");

  ASSERT_EQ(podman("rmi mybuild-export-test:v1 >/dev/null 2>&1").code, 0);
  EXPECT_NE(podman("image exists mybuild-export-test:v1").code, 0);
}

TEST_F(ExportInterop, RootfsTarAndLocalDirectoryMatchUmoci) {
  if (!have("umoci") || !have("tar")) GTEST_SKIP() << "umoci/tar not installed";
  fs::path layout = path("layout");
  export_to("type=oci,tar=false,dest=" + layout.string());
  std::string theirs = umoci_tree(layout, "v1");

  fs::path tar = path("rootfs.tar");
  export_to("type=tar,dest=" + tar.string());
  Ran listing = run("tar -tf " + q(tar));
  ASSERT_EQ(listing.code, 0);
  EXPECT_EQ(listing.out.find(".wh."), std::string::npos) << listing.out;
  fs::path unpacked = path("rootfs");
  fs::create_directory(unpacked);
  ASSERT_EQ(run("tar --numeric-owner -xpf " + q(tar) + " -C " + q(unpacked)).code, 0);
  EXPECT_EQ(describe_tree(unpacked), theirs);
  EXPECT_EQ(local_tree(), theirs);
}

TEST_F(ExportInterop, TarsGoToStdoutAndThroughAFifo) {
  if (!have("skopeo")) GTEST_SKIP() << "skopeo not installed";
  fs::path file = path("file.tar");
  export_to("type=oci,dest=" + file.string());
  std::string expected = common::read_file(file, 1 << 30);

  // dest=-: stdout pointed at a file, as `mybuild build -o type=oci,dest=- . > x.tar` does.
  fs::path captured = path("stdout.tar");
  {
    common::UniqueFd out = common::open_file(captured, O_WRONLY | O_CREAT | O_TRUNC);
    int saved = ::dup(STDOUT_FILENO);
    std::fflush(stdout);
    ::dup2(out.get(), STDOUT_FILENO);
    std::optional<common::Error> failed;
    try {
      export_to("type=oci,dest=-");
    } catch (const common::Error& e) {
      failed = e;
    }
    ::dup2(saved, STDOUT_FILENO);
    ::close(saved);
    ASSERT_FALSE(failed) << failed->full_message();
  }
  EXPECT_EQ(common::read_file(captured, 1 << 30), expected);
  EXPECT_EQ(run("skopeo inspect --raw oci-archive:" + q(captured) + ":v1 >/dev/null").code, 0);

  // A FIFO as dest is written through, not replaced by a renamed file.
  fs::path fifo = path("fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  std::string received;
  std::thread reader([&] { received = common::read_file(fifo, 1 << 30); });
  export_to("type=oci,dest=" + fifo.string());
  reader.join();
  EXPECT_EQ(received, expected);
  struct stat st {};
  ASSERT_EQ(::lstat(fifo.c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
}

TEST_F(ExportInterop, DestInAMissingDirectoryIsAClearErrorAndLeavesNothing) {
  for (const char* type : {"oci", "docker", "tar", "local"}) {
    fs::path dest = path("no/such/dir/out");
    try {
      export_to(std::string("type=") + type + ",dest=" + dest.string());
      ADD_FAILURE() << type << ": no error";
    } catch (const common::Error& e) {
      EXPECT_EQ(e.kind(), common::ErrorKind::kNotFound) << type;
      EXPECT_NE(e.full_message().find(path("no/such/dir").string() + " does not exist"),
                std::string::npos)
          << e.full_message();
    }
  }
  EXPECT_FALSE(fs::exists(path("no")));
  for (const auto& e : fs::directory_iterator(work_.path())) {
    EXPECT_EQ(e.path().filename().string().find(".mybuild-"), std::string::npos) << e.path();
  }
}

}  // namespace
}  // namespace mybuild
