// Shared by the platform suites: a store holding two offline busybox bases, `base-amd64` (the
// host's /bin/busybox) and `base-arm64` (Debian's busybox-static:arm64, arm64_busybox.sh), each
// imported with its platform, so that `FROM base-$TARGETARCH` picks the right one; plus a real
// docker-registry from tests/store_commands' fixture and helpers to run the mybuild binary.
#pragma once

#include <sys/stat.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/store_commands/fixture.h"

namespace mybuild::platform_testing {

namespace fs = std::filesystem;
using nlohmann::json;
using registry::testing::run_command;
using store_commands_testing::have;

// A busybox root filesystem around `binary`, as a plain tar in `dir`.
inline fs::path rootfs_tar(const fs::path& binary, const fs::path& dir) {
  return store_commands_testing::busybox_tar(dir, binary, {"sh", "cat", "uname", "tee", "echo"});
}

class TwoPlatforms : public store_commands_testing::WithRegistry {
 protected:
  void SetUp() override {
    WithRegistry::SetUp();
    if (IsSkipped()) return;
    const fs::path arm = work_.path() / "arm64";
    std::string why;
    if (run_command({"sh", ARM64_BUSYBOX_SCRIPT, arm.string(), ARM64_DEB_CACHE}, &why) != 0) {
      GTEST_SKIP() << "no arm64 busybox-static (arm64_busybox.sh): " << why;
    }
    fs::create_directories(arm / "tar");
    import_as("base-amd64", rootfs_tar("/bin/busybox", arm.parent_path() / "amd"), "linux/amd64");
    import_as("base-arm64", rootfs_tar(arm / "bin/busybox", arm / "tar"), "linux/arm64");
    fs::create_directories(context_);
    common::write_file_atomic(context_ / "a.txt", "a\n");
  }
  // Into `store` (default: the test's store); the same tar gives the same image in each.
  void import_as(const std::string& name, const fs::path& tar, const std::string& platform,
                 const fs::path& store = {}) {
    image::ImportOptions o;
    o.created = 1700000000;
    o.platform = platform;
    image::import_rootfs(store.empty() ? store_ : store, tar, name, o);
  }
  // The two bases' tars, as SetUp made them.
  fs::path amd64_tar() const { return work_.path() / "amd/rootfs.tar"; }
  fs::path arm64_tar() const { return work_.path() / "arm64/tar/rootfs.tar"; }
  void dockerfile(const std::string& text) {
    common::write_file_atomic(context_ / "Dockerfile", text);
  }
  // `mybuild --root <store> build --progress plain ARGS... <context>`: its exit status, the
  // output in `out`.
  int build(std::vector<std::string> args, std::string* out) {
    args.insert(args.begin(),
                {MYBUILD_BINARY, "--root", store_.string(), "build", "--progress", "plain"});
    args.push_back(context_.string());
    return run_command(args, out);
  }
  std::string built(std::vector<std::string> args) {
    std::string out;
    EXPECT_EQ(build(std::move(args), &out), 0) << out;
    return out;
  }
  json mybuild_json(std::vector<std::string> args, const fs::path& store) {
    args.insert(args.begin(), {MYBUILD_BINARY, "--root", store.string()});
    std::string out;
    EXPECT_EQ(run_command(args, &out), 0) << out;
    return json::parse(out, nullptr, false);
  }
  // What the registry holds for `ref`, as `skopeo inspect --raw` prints it (null on failure,
  // the output then in the test's log).
  static json skopeo_raw(const std::string& ref) {
    std::string raw;
    int rc =
        run_command({"skopeo", "inspect", "--raw", "--tls-verify=false", "docker://" + ref}, &raw);
    EXPECT_EQ(rc, 0) << raw;
    return rc == 0 ? json::parse(raw, nullptr, false) : json();
  }
  // A blob of an OCI layout directory, parsed.
  static json layout_blob(const fs::path& layout, const std::string& digest) {
    return json::parse(common::read_file(layout / "blobs/sha256" / digest.substr(7)));
  }

  fs::path store_ = work_.path() / "store";
  fs::path context_ = work_.path() / "ctx";
};

}  // namespace mybuild::platform_testing
