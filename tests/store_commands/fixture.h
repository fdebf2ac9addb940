// Shared by the store_commands suites: a real docker-registry on a free loopback port, a
// busybox image imported into a store the way users make offline bases (mybuild import), and
// a second, empty store to pull into.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <initializer_list>
#include <memory>
#include <string>

#include "common/io.h"
#include "common/temp_dir.h"
#include "image/import.h"
#include "snapshot/content_store.h"
#include "snapshot/database.h"
#include "snapshot/image_store.h"
#include "snapshot/layer_writer.h"
#include "tests/registry/child_process.h"
#include "tests/registry/registry_server.h"
#include "tests/registry/test_image.h"

namespace mybuild::store_commands_testing {

namespace fs = std::filesystem;

// A mybuild command's exit code and its stdout and stderr together.
struct Ran {
  int code;
  std::string out;
};

inline bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// A busybox root filesystem (the static `binary` and links for `applets`) as a plain tar in
// `dir`.
inline fs::path busybox_tar(const fs::path& dir, const fs::path& binary = "/bin/busybox",
                            std::initializer_list<const char*> applets = {"sh", "ls", "cat"}) {
  fs::path root = dir / "rootfs";
  fs::create_directories(root / "bin");
  fs::copy_file(binary, root / "bin/busybox");
  ::chmod((root / "bin/busybox").c_str(), 0755);
  for (const char* applet : applets) fs::create_symlink("busybox", root / "bin" / applet);
  fs::path tar = dir / "rootfs.tar";
  common::UniqueFd fd = common::open_file(tar, O_WRONLY | O_CREAT | O_TRUNC);
  common::FdWriter w(fd.get());
  snapshot::LayerOptions o;
  o.compression = snapshot::Compression::kNone;
  snapshot::write_tree_layer(root, w, o);
  return tar;
}

// One state root opened as the builder opens it.
struct Store {
  explicit Store(const fs::path& root)
      : path(root), content(root), db(snapshot::metadata_path(root)), images(content, db) {}
  fs::path path;
  snapshot::ContentStore content;
  snapshot::Database db;
  snapshot::ImageStore images;
};

class WithRegistry : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!registry::testing::have_registry()) {
      GTEST_SKIP() << "docker-registry is not installed (deps/store_commands.txt)";
    }
    if (!fs::exists("/bin/busybox")) GTEST_SKIP() << "busybox-static is not installed";
    server_ = std::make_unique<registry::testing::RegistryServer>();
    tar_ = busybox_tar(work_.path());
  }
  // Imports busybox into the store at `root` as `name` for `platform`; returns the result.
  image::ImportResult import(const fs::path& root, const std::string& name,
                             const std::string& platform = "") {
    image::ImportOptions o;
    o.created = 1700000000;
    o.platform = platform;
    return image::import_rootfs(root, tar_, name, o);
  }
  std::string on_registry(const std::string& rest) const { return server_->domain() + "/" + rest; }
  registry::ClientOptions client_options() const { return registry::testing::test_options(work_); }

  common::TempDir work_{"mybuild-store-commands-"};
  std::unique_ptr<registry::testing::RegistryServer> server_;
  fs::path tar_;
};

inline bool have(const std::string& tool) {
  return registry::testing::run_command({"sh", "-c", "command -v " + tool}) == 0;
}

}  // namespace mybuild::store_commands_testing
