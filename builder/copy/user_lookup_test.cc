#include "builder/copy/user_lookup.h"

#include <gtest/gtest.h>

#include "builder/context/test_util.h"
#include "common/error.h"
#include "common/temp_dir.h"

namespace mybuild::builder {
namespace {

class UserLookup : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::write(root() / "etc/passwd",
                   "# comment\n"
                   "root:x:0:0:root:/root:/bin/sh\n"
                   "\n"
                   "app:x:1000:1001:App:/home/app:/bin/sh\r\n"
                   "broken:x:notanumber:5::/:\n"
                   "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n");
    testing::write(root() / "etc/group", "root:x:0:\nstaff:x:50:app\napp:x:1001:\n");
  }
  std::filesystem::path root() const { return dir_.path() / "rootfs"; }
  common::TempDir dir_{"mybuild-users-"};
};

TEST_F(UserLookup, NamesComeFromTheImage) {
  EXPECT_EQ(resolve_chown("app", root()), (Owner{1000, 1001}));
  EXPECT_EQ(resolve_chown("app:staff", root()), (Owner{1000, 50}));
  EXPECT_EQ(resolve_chown("nobody:0", root()), (Owner{65534, 0}));
}

TEST_F(UserLookup, NumericIdsNeedNoFiles) {
  EXPECT_EQ(resolve_chown("1234", root()), (Owner{1234, 1234}));  // BuildKit: gid = uid
  EXPECT_EQ(resolve_chown("1234:55", root()), (Owner{1234, 55}));
  EXPECT_EQ(resolve_chown("1234:staff", root()), (Owner{1234, 50}));
  common::TempDir empty("mybuild-empty-rootfs-");
  EXPECT_EQ(resolve_chown("7:8", empty.path()), (Owner{7, 8}));
}

TEST_F(UserLookup, UnknownNamesAreErrorsNotRoot) {
  for (const char* spec : {"ghost", "app:ghosts", "broken"}) {
    try {
      resolve_chown(spec, root());
      ADD_FAILURE() << spec << " resolved";
    } catch (const common::Error& e) {
      EXPECT_EQ(e.kind(), common::ErrorKind::kNotFound);
      EXPECT_NE(e.message().find(spec), std::string::npos);
    }
  }
}

TEST_F(UserLookup, MalformedValues) {
  for (const char* spec : {"", ":", "app:", ":staff", "a:b:c", "99999999999"}) {
    try {
      resolve_chown(spec, root());
      ADD_FAILURE() << spec << " resolved";
    } catch (const common::Error& e) {
      EXPECT_EQ(e.kind(), common::ErrorKind::kDockerfile) << spec;
    }
  }
}

TEST_F(UserLookup, SymlinkedPasswdCannotReachTheHost) {
  // The host's /etc/passwd has root; the image's link to it must resolve inside the image.
  std::filesystem::remove(root() / "etc/passwd");
  testing::symlink("/../../../../etc/passwd", root() / "etc/passwd");
  EXPECT_THROW(resolve_chown("root", root()), common::Error);
  testing::write(root() / "real/passwd", "root:x:0:0::/:\n");
  std::filesystem::remove(root() / "etc/passwd");
  testing::symlink("/real/passwd", root() / "etc/passwd");
  EXPECT_EQ(resolve_chown("root", root()), (Owner{0, 0}));
}

}  // namespace
}  // namespace mybuild::builder
