// Unpacking a layer as root of the rootless user namespace (sandbox_main.cc has entered it), in
// overlay form as the rootless builder does: whiteouts and opaque directories in the form
// overlay mounted with userxattr reads, device nodes skipped, owners kept where mapped.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "common/io.h"
#include "common/temp_dir.h"
#include "sandbox/rootless.h"
#include "snapshot/extract.h"

namespace mybuild::snapshot {
namespace {

namespace fs = std::filesystem;

TEST(RootlessExtract, OverlayWhiteoutsOpaqueDirsAndOwnersInsideTheUserNamespace) {
  if (!sandbox::inside_rootless()) GTEST_SKIP() << "not inside the rootless namespace";
  common::TempDir dir("mybuild-rootless-extract-");
  // Written with Python's tarfile: a device node entry needs no privilege to describe.
  fs::path tar = dir.path() / "layer.tar";
  std::string script =
      "import tarfile, io\n"
      "t = tarfile.open('" +
      tar.string() +
      "', 'w')\n"
      "def add(name, kind, uid=0, data=b'', major=0, minor=0):\n"
      "    i = tarfile.TarInfo(name); i.type = kind; i.uid = i.gid = uid; i.size = len(data)\n"
      "    i.mode = 0o755 if kind == tarfile.DIRTYPE else 0o644\n"
      "    i.devmajor, i.devminor = major, minor\n"
      "    t.addfile(i, io.BytesIO(data) if data else None)\n"
      "add('opaque', tarfile.DIRTYPE)\n"
      "add('opaque/.wh..wh..opq', tarfile.REGTYPE)\n"
      "add('.wh.gone', tarfile.REGTYPE)\n"
      "add('owned', tarfile.REGTYPE, 1000, b'x')\n"
      "add('null', tarfile.CHRTYPE, 0, b'', 1, 3)\n"
      "t.close()\n";
  fs::path py = dir.path() / "make_layer.py";
  std::ofstream(py) << script;
  ASSERT_EQ(std::system(("/usr/bin/python3 " + py.string()).c_str()), 0);
  fs::path out = dir.path() / "out";
  fs::create_directories(out);
  ApplyOptions opts;
  opts.whiteouts = WhiteoutMode::kOverlay;  // default opaque_xattr: trusted.overlay.opaque
  common::FdReader reader{common::UniqueFd(::open(tar.c_str(), O_RDONLY | O_CLOEXEC))};
  ASSERT_NO_THROW(apply_layer(reader, out, opts));
  char value[4] = {};
  EXPECT_EQ(::getxattr((out / "opaque").c_str(), "user.overlay.opaque", value, sizeof(value)), 1);
  EXPECT_EQ(value[0], 'y');
  struct stat st {};
  ASSERT_EQ(::lstat((out / "gone").c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(st.st_rdev, makedev(0, 0));
  ASSERT_EQ(::lstat((out / "owned").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 1000u);
  EXPECT_FALSE(fs::exists(fs::symlink_status(out / "null")));  // skipped with a warning
}

}  // namespace
}  // namespace mybuild::snapshot
