// --build-context NAME=DIR and NAME=docker-image://REF (buildx's named contexts): COPY --from,
// RUN --mount from= and FROM read them; a change in the directory is a cache miss; other
// sources and a directory used as an image are clear errors.
#include "tests/build/build_fixture.h"

namespace mybuild::build_testing {
namespace {

class NamedContexts : public BuildTest {
 protected:
  fs::path assets() const { return work() / "assets"; }
  std::string assets_flag() const { return "assets=" + assets().string(); }
};

TEST_F(NamedContexts, ADirectoryFeedsCopyFromAndBindMounts) {
  write_file(assets() / "logo.txt", "logo v1\n");
  dockerfile(
      "FROM busybox\n"
      "COPY --from=assets logo.txt /logo\n"
      "RUN --mount=type=bind,from=assets,target=/m cat /m/logo.txt > /mounted\n");
  ASSERT_EQ(build({"-t", "app:v1", "--build-context", assets_flag()}).failure(), "");
  StoredImage v1 = image("app:v1");
  EXPECT_EQ(v1.content("/logo"), "logo v1\n");
  EXPECT_EQ(v1.content("/mounted"), "logo v1\n");

  // Same size, new content: both steps see it (their keys hold the directory's files).
  write_file(assets() / "logo.txt", "logo v2\n");
  Ran r = build({"-t", "app:v2", "--build-context", assets_flag()});
  ASSERT_TRUE(r.ok()) << r.both();
  StoredImage v2 = image("app:v2");
  EXPECT_EQ(v2.content("/logo"), "logo v2\n");
  EXPECT_EQ(v2.content("/mounted"), "logo v2\n");
}

TEST_F(NamedContexts, DockerImageReplacesTheNameInFromAndCopyFrom) {
  import_base("other:v1", {{"etc/marker", "other\n"}});
  dockerfile(
      "FROM base\n"
      "COPY --from=tools /etc/marker /tools-marker\n");
  ASSERT_EQ(build({"-t", "app:v1", "--build-context", "base=docker-image://other:v1",
                   "--build-context", "tools=docker-image://other:v1"})
                .failure(),
            "");
  StoredImage img = image("app:v1");
  EXPECT_EQ(img.content("/etc/marker"), "other\n") << "FROM base used other:v1";
  EXPECT_EQ(img.content("/tools-marker"), "other\n");
}

TEST_F(NamedContexts, UnsupportedSourcesAndMisuseAreClearErrors) {
  write_file(assets() / "logo.txt", "x\n");
  dockerfile("FROM busybox\n");
  for (const std::string& bad :
       std::vector<std::string>{"x=ftp://example.com/ctx.tar", "x=target:other",
                                "x=" + (work() / "missing").string(), "=dir", "x"}) {
    Ran r = build({"-t", "app:v1", "--build-context", bad});
    EXPECT_EQ(r.code, 2) << bad << "\n" << r.both();
    EXPECT_NE(r.err.find("--build-context"), std::string::npos) << r.err;
  }
  dockerfile("FROM assets\n");
  Ran from_dir = build({"-t", "app:v1", "--build-context", assets_flag()});
  EXPECT_NE(from_dir.code, 0);
  EXPECT_NE(from_dir.err.find("not an image"), std::string::npos) << from_dir.err;
}

// --build-context NAME=oci-layout://DIR:TAG as FROM and COPY --from: the layout's blobs are
// copied into the store (the image was removed from it first), an unknown tag names the layout.
TEST_F(NamedContexts, OciLayoutIsAnImageForFromAndCopyFrom) {
  const fs::path layout = work() / "layout";
  dockerfile("FROM busybox\nCOPY marker /etc/layout-marker\n");
  write("marker", "from the layout\n");
  ASSERT_EQ(build({"-t", "lay:v1", "-o", "type=oci,tar=false,dest=" + layout.string()}).failure(),
            "");
  ASSERT_TRUE(fs::exists(layout / "index.json"));
  ASSERT_TRUE(mybuild({"rmi", "lay:v1"}).ok());
  ASSERT_TRUE(mybuild({"prune"}).ok());
  dockerfile("FROM base\nCOPY --from=tools /etc/layout-marker /copied\n");
  ASSERT_EQ(
      build({"-t", "app:v1", "--build-context", "base=oci-layout://" + layout.string() + ":v1",
             "--build-context", "tools=oci-layout://" + layout.string()})
          .failure(),
      "");
  StoredImage img = image("app:v1");
  EXPECT_EQ(img.content("/etc/layout-marker"), "from the layout\n");
  EXPECT_EQ(img.content("/copied"), "from the layout\n");
  Ran missing = build({"--build-context", "base=oci-layout://" + layout.string() + ":nope"});
  EXPECT_FALSE(missing.ok());
  EXPECT_NE(missing.err.find("oci-layout://" + layout.string() + ": no image tagged \"nope\""),
            std::string::npos)
      << missing.both();
}

}  // namespace
}  // namespace mybuild::build_testing
