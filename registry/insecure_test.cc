#include "registry/insecure.h"

#include <gtest/gtest.h>

namespace mybuild::registry {
namespace {

TEST(PlainHttpAllowed, LoopbackAlways) {
  EXPECT_TRUE(plain_http_allowed("localhost:5000", {}));
  EXPECT_TRUE(plain_http_allowed("127.0.0.1:5000", {}));
  EXPECT_TRUE(plain_http_allowed("127.9.9.9", {}));
  EXPECT_TRUE(plain_http_allowed("[::1]:5000", {}));
}

TEST(PlainHttpAllowed, OthersOnlyWhenListed) {
  EXPECT_FALSE(plain_http_allowed("10.1.2.3:5000", {}));
  EXPECT_FALSE(plain_http_allowed("registry.example:5000", {}));
  EXPECT_FALSE(plain_http_allowed("127.example.com:5000", {"10.0.0.0/8"}));
  EXPECT_TRUE(plain_http_allowed("registry.example:5000", {"registry.example:5000"}));
  EXPECT_TRUE(plain_http_allowed("10.1.2.3:5000", {"x:1", "10.1.2.3:5000"}));
}

TEST(PlainHttpAllowed, DomainEntriesMatchExactlyAsInDocker) {
  // dockerd keys its index configs by the exact name: "host" is not "host:5000".
  EXPECT_FALSE(plain_http_allowed("registry.example:5000", {"registry.example"}));
  EXPECT_TRUE(plain_http_allowed("registry.example", {"registry.example"}));
  EXPECT_FALSE(plain_http_allowed("registry.example", {"registry.example:5000"}));
  EXPECT_FALSE(plain_http_allowed("other.example:5000", {"registry.example:5000"}));
}

TEST(PlainHttpAllowed, CidrsCoverAddresses) {
  std::vector<std::string> nets = {"10.0.0.0/8", "192.168.7.0/24", "fd00:1::/32"};
  EXPECT_TRUE(plain_http_allowed("10.200.3.4:5000", nets));
  EXPECT_TRUE(plain_http_allowed("10.200.3.4", nets));
  EXPECT_TRUE(plain_http_allowed("192.168.7.255:80", nets));
  EXPECT_FALSE(plain_http_allowed("192.168.8.1:80", nets));
  EXPECT_FALSE(plain_http_allowed("11.0.0.1:5000", nets));
  EXPECT_TRUE(plain_http_allowed("[fd00:1:ffff::1]:5000", nets));
  EXPECT_FALSE(plain_http_allowed("[fd00:2::1]:5000", nets));
  // Bit-level prefixes, not only whole bytes.
  EXPECT_TRUE(plain_http_allowed("172.31.255.1:5000", {"172.16.0.0/12"}));
  EXPECT_FALSE(plain_http_allowed("172.32.0.1:5000", {"172.16.0.0/12"}));
  EXPECT_TRUE(plain_http_allowed("8.8.8.8:5000", {"0.0.0.0/0"}));
}

TEST(PlainHttpAllowed, DockerHubNever) {
  EXPECT_FALSE(plain_http_allowed("docker.io", {"docker.io", "0.0.0.0/0", "::/0"}));
  EXPECT_FALSE(plain_http_allowed("registry-1.docker.io", {"registry-1.docker.io"}));
}

TEST(IsCidr, Forms) {
  EXPECT_TRUE(is_cidr("10.0.0.0/8"));
  EXPECT_TRUE(is_cidr("0.0.0.0/0"));
  EXPECT_TRUE(is_cidr("::1/128"));
  EXPECT_FALSE(is_cidr("10.0.0.0/33"));
  EXPECT_FALSE(is_cidr("::1/129"));
  EXPECT_FALSE(is_cidr("10.0.0.0/"));
  EXPECT_FALSE(is_cidr("10.0.0.0/-1"));
  EXPECT_FALSE(is_cidr("10.0.0/8"));
  EXPECT_FALSE(is_cidr("host:5000"));
  EXPECT_FALSE(is_cidr("host/8"));
  EXPECT_FALSE(is_cidr("10.0.0.0/0008"));
}

}  // namespace
}  // namespace mybuild::registry
