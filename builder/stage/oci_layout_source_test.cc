#include "builder/stage/oci_layout_source.h"

#include <gtest/gtest.h>

#include "common/error.h"

namespace mybuild::builder {
namespace {

TEST(OciLayoutSource, PathTagAndDigest) {
  OciLayoutRef plain = parse_oci_layout_ref("oci-layout:///srv/my:dir/layout");
  EXPECT_EQ(plain.dir, "/srv/my:dir/layout") << "a ':' before the last '/' is the path's";
  EXPECT_EQ(plain.tag, "");
  EXPECT_FALSE(plain.digest);
  OciLayoutRef tagged = parse_oci_layout_ref("oci-layout://rel/layout:v1");
  EXPECT_EQ(tagged.dir, "rel/layout");
  EXPECT_EQ(tagged.tag, "v1");
  const std::string hex(64, 'a');
  OciLayoutRef pinned = parse_oci_layout_ref("oci-layout:///l:v2@sha256:" + hex);
  EXPECT_EQ(pinned.dir, "/l");
  EXPECT_EQ(pinned.tag, "v2");
  ASSERT_TRUE(pinned.digest);
  EXPECT_EQ(pinned.digest->str(), "sha256:" + hex);
  EXPECT_THROW(parse_oci_layout_ref("oci-layout://"), common::Error);
  EXPECT_THROW(parse_oci_layout_ref("oci-layout:///l@sha256:zz"), common::Error);
}

}  // namespace
}  // namespace mybuild::builder
