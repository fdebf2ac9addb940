#include "registry/reference.h"

#include <gtest/gtest.h>

#include <string>

#include "common/error.h"

namespace mybuild::registry {
namespace {

const std::string kHex(64, 'a');
const std::string kHex512(128, 'b');
const std::string kD = "sha256:" + kHex;

struct Case {
  std::string input;
  std::string want;   // canonical str(); empty means the input is invalid
  std::string error;  // the exact Docker message for invalid input
};

// Expectations follow distribution/reference (normalize_test.go, reference_test.go).
const Case kCases[] = {
    // Familiar names get docker.io, library/ and :latest.
    {"alpine", "docker.io/library/alpine:latest", ""},
    {"alpine:3.20", "docker.io/library/alpine:3.20", ""},
    {"library/alpine", "docker.io/library/alpine:latest", ""},
    {"docker.io/alpine", "docker.io/library/alpine:latest", ""},
    {"index.docker.io/alpine", "docker.io/library/alpine:latest", ""},
    {"index.docker.io/user/app:v2", "docker.io/user/app:v2", ""},
    {"docker.io/library/alpine:edge", "docker.io/library/alpine:edge", ""},
    {"user/app", "docker.io/user/app:latest", ""},
    {"user/app/sub:v1", "docker.io/user/app/sub:v1", ""},
    {"a/b/c/d/e/f", "docker.io/a/b/c/d/e/f:latest", ""},
    {"foo_bar/baz", "docker.io/foo_bar/baz:latest", ""},
    {"a--b/c", "docker.io/a--b/c:latest", ""},
    {"a__b", "docker.io/library/a__b:latest", ""},
    {"a.b_c-d", "docker.io/library/a.b_c-d:latest", ""},
    // Domains: dots, ports, localhost, IP literals.
    {"localhost/foo", "localhost/foo:latest", ""},
    {"localhost:5000/foo/bar:t", "localhost:5000/foo/bar:t", ""},
    {"localhost:5000", "docker.io/library/localhost:5000", ""},  // a name with tag 5000
    {"127.0.0.1:5000/x", "127.0.0.1:5000/x:latest", ""},
    {"[::1]:5000/foo", "[::1]:5000/foo:latest", ""},
    {"[::1]/foo", "[::1]/foo:latest", ""},
    {"[2001:db8::1]/foo:v", "[2001:db8::1]/foo:v", ""},
    {"ghcr.io/owner/repo:1.0", "ghcr.io/owner/repo:1.0", ""},
    {"Example.com/foo", "Example.com/foo:latest", ""},
    {"Localhost:5000/foo", "Localhost:5000/foo:latest", ""},
    {"Foo/bar", "Foo/bar:latest", ""},  // uppercase first segment is a domain to Docker
    {"xn--abc.com/foo", "xn--abc.com/foo:latest", ""},
    {"foo.bar/baz_qux", "foo.bar/baz_qux:latest", ""},
    {"my-registry.example.com:443/team/app:2024.01-rc_1",
     "my-registry.example.com:443/team/app:2024.01-rc_1", ""},
    // Tags.
    {"foo:Bar", "docker.io/library/foo:Bar", ""},
    {"foo:_under", "docker.io/library/foo:_under", ""},
    {"foo:a..b", "docker.io/library/foo:a..b", ""},
    {"foo:" + std::string(128, 't'), "docker.io/library/foo:" + std::string(128, 't'), ""},
    {"sha256:" + kHex, "docker.io/library/sha256:" + kHex, ""},  // a name "sha256", a hex tag
    // Digests, and tag@digest (both kept).
    {"foo@" + kD, "docker.io/library/foo@" + kD, ""},
    {"foo:v1@" + kD, "docker.io/library/foo:v1@" + kD, ""},
    {"example.com/foo@" + kD, "example.com/foo@" + kD, ""},
    {"localhost:5000/a:b@sha512:" + kHex512, "localhost:5000/a:b@sha512:" + kHex512, ""},
    // Invalid: empty and structure.
    {"", "", "invalid reference format"},
    {"foo/", "", "invalid reference format"},
    {"/foo", "", "invalid reference format"},
    {"foo//bar", "", "invalid reference format"},
    {"foo bar", "", "invalid reference format"},
    {"foo\n", "", "invalid reference format"},
    {"foo/-bar", "", "invalid reference format"},
    {"foo/bar-", "", "invalid reference format"},
    {"foo/.bar", "", "invalid reference format"},
    {"-foo", "", "invalid reference format"},
    {"a___b", "", "invalid reference format"},
    {"foo:bar:baz", "", "invalid reference format"},
    {"foo::bar", "", "invalid reference format"},
    {":tag", "", "invalid reference format"},
    {"foo:", "", "invalid reference format"},
    {"foo:.dot", "", "invalid reference format"},
    {"foo:-dash", "", "invalid reference format"},
    {"foo:" + std::string(129, 't'), "", "invalid reference format"},
    {"foo:tag@", "", "invalid reference format"},
    {"foo@", "", "invalid reference format"},
    {"@" + kD, "", "invalid reference format"},
    {"foo@sha256:abc", "", "invalid reference format"},  // shorter than 32 hex: no match
    {"foo@sha256:" + kHex + "g", "", "invalid reference format"},
    {"foo@256:" + kHex, "", "invalid reference format"},
    // Invalid domains.
    {"foo_bar.com:8080/x", "", "invalid reference format"},
    {"localhost:abc/foo", "", "invalid reference format"},
    {"example.com:/foo", "", "invalid reference format"},
    {"-.com/foo", "", "invalid reference format"},
    {"ex ample.com/foo", "", "invalid reference format"},
    {"[::1/foo", "", "invalid reference format"},
    {"[]/foo", "", "invalid reference format"},
    {"[zz::1]/foo", "", "invalid reference format"},
    // Digest validation after the pattern matched (go-digest's errors).
    {"foo@sha256:" + std::string(40, 'a'), "", "invalid checksum digest length"},
    {"foo@md5:" + std::string(32, 'a'), "", "unsupported digest algorithm"},
    {"foo@sha256:" + std::string(64, 'A'), "", "invalid checksum digest format"},
    // Uppercase repository names.
    {"FOO", "", "invalid reference format: repository name (library/FOO) must be lowercase"},
    {"Foo:Bar", "", "invalid reference format: repository name (library/Foo) must be lowercase"},
    {"docker.io/Foo/bar", "",
     "invalid reference format: repository name (Foo/bar) must be lowercase"},
    {"localhost:5000/Foo", "", "invalid reference format: repository name (Foo) must be lowercase"},
    {"FOO@" + kD, "", "invalid reference format: repository name (library/FOO) must be lowercase"},
    // Hex ids and length.
    {kHex, "",
     "invalid repository name (" + kHex + "), cannot specify 64-byte hexadecimal strings"},
    {"docker.io/" + std::string(250, 'a'), "",
     "repository name must not be more than 255 characters"},
    {"example.com/" + std::string(250, 'a'), "",
     "repository name must not be more than 255 characters"},
    {"example.com/" + std::string(243, 'a'), "example.com/" + std::string(243, 'a') + ":latest",
     ""},
};

TEST(Reference, Table) {
  ASSERT_GE(std::size(kCases), 60u);
  for (const Case& c : kCases) {
    SCOPED_TRACE("input: \"" + c.input + "\"");
    if (!c.want.empty()) {
      Reference r;
      ASSERT_NO_THROW(r = parse_reference(c.input));
      EXPECT_EQ(r.str(), c.want);
      auto maybe = try_parse_reference(c.input);
      ASSERT_TRUE(maybe);
      EXPECT_EQ(maybe->str(), c.want);
    } else {
      EXPECT_FALSE(try_parse_reference(c.input));
      try {
        parse_reference(c.input);
        ADD_FAILURE() << "parsed, expected error: " << c.error;
      } catch (const common::Error& e) {
        EXPECT_EQ(e.kind(), common::ErrorKind::kUsage);
        EXPECT_EQ(e.message(), c.error);
      }
    }
  }
}

TEST(Reference, Parts) {
  Reference r = parse_reference("localhost:5000/team/app:v1@" + kD);
  EXPECT_EQ(r.domain, "localhost:5000");
  EXPECT_EQ(r.path, "team/app");
  EXPECT_EQ(r.tag, "v1");
  ASSERT_TRUE(r.digest);
  EXPECT_EQ(r.digest->str(), kD);
  EXPECT_EQ(r.manifest_ref(), kD);  // the digest pins the content
  EXPECT_EQ(r.repository().str(), "localhost:5000/team/app");
  EXPECT_EQ(r.with_tag("v2").str(), "localhost:5000/team/app:v2");
}

TEST(Reference, NoDefaultTag) {
  Reference r = parse_reference_no_default("alpine");
  EXPECT_EQ(r.tag, "");
  EXPECT_EQ(r.manifest_ref(), "latest");
  EXPECT_EQ(r.str(), "docker.io/library/alpine");
}

TEST(Reference, Familiar) {
  EXPECT_EQ(parse_reference("alpine").familiar(), "alpine:latest");
  EXPECT_EQ(parse_reference("docker.io/user/app:v").familiar(), "user/app:v");
  EXPECT_EQ(parse_reference("docker.io/library/a/b").familiar(), "library/a/b:latest");
  EXPECT_EQ(parse_reference("localhost:5000/x:t").familiar(), "localhost:5000/x:t");
}

TEST(Reference, Canonical) {
  EXPECT_EQ(parse_canonical_reference("example.com/a/b:c").path, "a/b");
  EXPECT_THROW(parse_canonical_reference("alpine"), common::Error);
  try {
    parse_canonical_reference("");
    ADD_FAILURE();
  } catch (const common::Error& e) {
    EXPECT_EQ(e.message(), "repository name must have at least one component");
  }
}

TEST(Reference, Loopback) {
  EXPECT_TRUE(is_loopback_host("localhost:5000"));
  EXPECT_TRUE(is_loopback_host("localhost"));
  EXPECT_TRUE(is_loopback_host("127.0.0.1:80"));
  EXPECT_TRUE(is_loopback_host("127.1.2.3"));
  EXPECT_TRUE(is_loopback_host("[::1]:5000"));
  EXPECT_FALSE(is_loopback_host("127.example.com"));
  EXPECT_FALSE(is_loopback_host("localhost.example.com"));
  EXPECT_FALSE(is_loopback_host("docker.io"));
  EXPECT_FALSE(is_loopback_host("[2001:db8::1]:5000"));
}

}  // namespace
}  // namespace mybuild::registry
