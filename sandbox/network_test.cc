// The generated /etc/hosts and docker's --add-host spelling (HOST:IP, HOST=IP, [v6]).
#include "sandbox/network.h"

#include <gtest/gtest.h>

#include "common/error.h"

namespace mybuild::sandbox {
namespace {

TEST(GenerateHosts, DefaultsThenExtraHostsInOrder) {
  EXPECT_EQ(generate_hosts("box"),
            "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\tbox\n");
  EXPECT_EQ(generate_hosts("box", {{"db", "10.0.0.5"}, {"v6", "fd00::1"}}),
            "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\tbox\n"
            "10.0.0.5\tdb\nfd00::1\tv6\n");
}

TEST(ParseHostEntry, AcceptsDockersSpellings) {
  EXPECT_EQ(parse_host_entry("myhost:10.1.2.3"), (HostEntry{"myhost", "10.1.2.3"}));
  EXPECT_EQ(parse_host_entry("myhost=10.1.2.3"), (HostEntry{"myhost", "10.1.2.3"}));
  EXPECT_EQ(parse_host_entry("v6:[::1]"), (HostEntry{"v6", "::1"}));
  EXPECT_EQ(parse_host_entry("v6=::1"), (HostEntry{"v6", "::1"}));
  EXPECT_EQ(parse_host_entry("v6=[fd00::1]"), (HostEntry{"v6", "fd00::1"}));
  // HOST:IP splits at the first ':', so an unbracketed IPv6 address after it is whole.
  EXPECT_EQ(parse_host_entry("v6:::1"), (HostEntry{"v6", "::1"}));
  EXPECT_EQ(parse_host_entry("a.example.com:192.168.0.1"),
            (HostEntry{"a.example.com", "192.168.0.1"}));
}

TEST(ParseHostEntry, HostGatewayIsKeptUntilTheStepRuns) {
  EXPECT_EQ(parse_host_entry("host.docker.internal:host-gateway"),
            (HostEntry{"host.docker.internal", std::string(kHostGateway)}));
}

TEST(GenerateHosts, HostGatewayBecomesTheAddressGiven) {
  EXPECT_EQ(generate_hosts("box", {{"gw", "host-gateway"}, {"db", "10.0.0.5"}}, "192.168.1.7"),
            "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\tbox\n"
            "192.168.1.7\tgw\n10.0.0.5\tdb\n");
}

TEST(HostGatewayAddress, LoopbackOnTheHostsNetworkElseANonLoopbackAddress) {
  EXPECT_EQ(host_gateway_address(NetworkMode::kHost), "127.0.0.1");
  EXPECT_EQ(host_gateway_address(NetworkMode::kNone), "127.0.0.1");
  // Behind slirp4netns (host loopback disabled) the host is reached at one of its own addresses.
  std::string ip = host_gateway_address(NetworkMode::kDefault);
  EXPECT_NE(ip.rfind("127.", 0), 0u) << ip;
  EXPECT_NO_THROW(parse_host_entry("h:" + ip));
}

TEST(GenerateResolvConf, PerEffectiveNetwork) {
  std::string host = "search example.com\nnameserver 127.0.0.53\noptions edns0\n";
  EXPECT_EQ(generate_resolv_conf(NetworkMode::kHost, host), host);
  EXPECT_EQ(generate_resolv_conf(NetworkMode::kNone, host), "");
  // Behind slirp4netns a loopback resolver is out of reach: its DNS forwarder stands in.
  EXPECT_EQ(generate_resolv_conf(NetworkMode::kDefault, host),
            "nameserver 10.0.2.3\nsearch example.com\noptions edns0\n");
  // Reachable resolvers are kept as they are; IPv6 ones go (slirp4netns runs without IPv6).
  EXPECT_EQ(generate_resolv_conf(NetworkMode::kDefault,
                                 "nameserver 10.255.255.53\nnameserver fd00::1\n"
                                 "nameserver ::1\nnameserver 127.0.0.1\n"),
            "nameserver 10.255.255.53\n");
  EXPECT_EQ(generate_resolv_conf(NetworkMode::kDefault, ""), "nameserver 10.0.2.3\n");
}

std::string host_entry_error(const std::string& text) {
  try {
    parse_host_entry(text);
  } catch (const common::Error& e) {
    EXPECT_EQ(e.kind(), common::ErrorKind::kUsage) << text;
    return e.message();
  }
  return "no error";
}

TEST(ParseHostEntry, RejectsWhatWouldNotMakeAHostsLine) {
  EXPECT_NE(host_entry_error("myhost").find("missing ':' or '='"), std::string::npos);
  EXPECT_NE(host_entry_error(":10.0.0.1").find("empty host name"), std::string::npos);
  EXPECT_NE(host_entry_error("=10.0.0.1").find("empty host name"), std::string::npos);
  EXPECT_NE(host_entry_error("myhost:").find("empty IP address"), std::string::npos);
  EXPECT_NE(host_entry_error("myhost:[]").find("empty IP address"), std::string::npos);
  EXPECT_NE(
      host_entry_error("myhost:10.0.0.256").find("'10.0.0.256' is not an IPv4 or IPv6 address"),
      std::string::npos);
  EXPECT_NE(host_entry_error("myhost:example.com").find("not an IPv4 or IPv6"), std::string::npos);
  EXPECT_NE(host_entry_error("myhost:[10.0.0.1").find("not an IPv4 or IPv6"), std::string::npos);
  EXPECT_NE(host_entry_error("my host:10.0.0.1").find("has a space"), std::string::npos);
  EXPECT_NE(host_entry_error("a#b:10.0.0.1").find("has a space, '#'"), std::string::npos);
  EXPECT_NE(host_entry_error(std::string("a\nb:10.0.0.1")).find("control character"),
            std::string::npos);
  // The value is quoted in the message, so the caller only adds the flag's name.
  EXPECT_EQ(host_entry_error("myhost").rfind("'myhost': ", 0), 0u) << host_entry_error("myhost");
}

}  // namespace
}  // namespace mybuild::sandbox
