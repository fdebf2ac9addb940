#include "registry/insecure.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <optional>

#include "registry/reference.h"

namespace mybuild::registry {
namespace {

// An IPv4 or IPv6 address as bytes (4 or 16 of them).
struct Address {
  int family = 0;
  std::array<unsigned char, 16> bytes{};
  size_t size() const { return family == AF_INET ? 4 : 16; }
};

std::optional<Address> parse_address(const std::string& text) {
  Address a;
  if (inet_pton(AF_INET, text.c_str(), a.bytes.data()) == 1) {
    a.family = AF_INET;
    return a;
  }
  if (inet_pton(AF_INET6, text.c_str(), a.bytes.data()) == 1) {
    a.family = AF_INET6;
    return a;
  }
  return std::nullopt;
}

struct Cidr {
  Address net;
  int prefix = 0;
};

std::optional<Cidr> parse_cidr(std::string_view entry) {
  auto slash = entry.find('/');
  if (slash == std::string_view::npos || slash + 1 >= entry.size()) return std::nullopt;
  auto addr = parse_address(std::string(entry.substr(0, slash)));
  if (!addr) return std::nullopt;
  std::string_view len = entry.substr(slash + 1);
  if (len.size() > 3 ||
      !std::all_of(len.begin(), len.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  int prefix = std::stoi(std::string(len));
  if (prefix > static_cast<int>(addr->size() * 8)) return std::nullopt;
  return Cidr{*addr, prefix};
}

bool contains(const Cidr& c, const Address& a) {
  if (a.family != c.net.family) return false;
  int bits = c.prefix;
  for (size_t i = 0; i < a.size() && bits > 0; ++i, bits -= 8) {
    unsigned mask = bits >= 8 ? 0xffu : (0xffu << (8 - bits)) & 0xffu;
    if ((a.bytes[i] & mask) != (c.net.bytes[i] & mask)) return false;
  }
  return true;
}

// "host:port" -> "host"; "[::1]:5000" -> "::1".
std::string host_of(std::string_view domain) {
  if (!domain.empty() && domain.front() == '[') {
    auto close = domain.find(']');
    return std::string(domain.substr(1, close == std::string_view::npos ? close : close - 1));
  }
  return std::string(domain.substr(0, domain.find(':')));
}

// The host's addresses: itself when it is a literal, else what the resolver says (nothing
// when it says nothing: an unknown name is covered by no CIDR, and the HTTPS attempt that
// follows reports the lookup failure).
std::vector<Address> addresses_of(const std::string& host) {
  if (auto a = parse_address(host)) return {*a};
  std::vector<Address> out;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (getaddrinfo(host.c_str(), nullptr, &hints, &res) != 0) return out;
  for (addrinfo* p = res; p; p = p->ai_next) {
    Address a;
    a.family = p->ai_family;
    if (p->ai_family == AF_INET) {
      std::memcpy(a.bytes.data(), &reinterpret_cast<sockaddr_in*>(p->ai_addr)->sin_addr, 4);
    } else if (p->ai_family == AF_INET6) {
      std::memcpy(a.bytes.data(), &reinterpret_cast<sockaddr_in6*>(p->ai_addr)->sin6_addr, 16);
    } else {
      continue;
    }
    out.push_back(a);
  }
  freeaddrinfo(res);
  return out;
}

}  // namespace

bool is_cidr(std::string_view entry) { return parse_cidr(entry).has_value(); }

bool plain_http_allowed(std::string_view domain, const std::vector<std::string>& insecure) {
  if (domain == kDockerHubDomain || domain == kDockerHubApiHost) return false;
  if (is_loopback_host(domain)) return true;
  std::vector<Cidr> cidrs;
  for (const auto& entry : insecure) {
    if (entry == domain) return true;
    if (auto c = parse_cidr(entry)) cidrs.push_back(*c);
  }
  if (cidrs.empty()) return false;
  for (const auto& a : addresses_of(host_of(domain))) {
    for (const auto& c : cidrs) {
      if (contains(c, a)) return true;
    }
  }
  return false;
}

}  // namespace mybuild::registry
