#include "registry/reference.h"

#include <algorithm>
#include <cctype>
#include <vector>

#include "common/ascii.h"
#include "common/error.h"
#include "common/log.h"

namespace mybuild::registry {
namespace {

using common::Error;
using common::ErrorKind;

// Docker's limits and messages (distribution/reference: reference.go, normalize.go).
constexpr size_t kNameTotalLengthMax = 255;
constexpr size_t kTagMax = 128;

[[noreturn]] void fail(std::string message) { throw Error(ErrorKind::kUsage, std::move(message)); }

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool is_alnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }
bool is_word(char c) { return is_alnum(c) || c == '_'; }
bool is_hex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }

// path-component := alpha-numeric (separator alpha-numeric)*
// separator := [_.] | "__" | "-"+   (reference.go, "separator")
bool is_path_component(std::string_view s) {
  size_t i = 0;
  auto run = [&] {
    size_t start = i;
    while (i < s.size() && is_lower_alnum(s[i])) ++i;
    return i > start;
  };
  if (!run()) return false;
  while (i < s.size()) {
    if (s[i] == '.' || (s[i] == '_' && (i + 1 >= s.size() || s[i + 1] != '_'))) {
      ++i;
    } else if (s[i] == '_') {
      i += 2;
    } else if (s[i] == '-') {
      while (i < s.size() && s[i] == '-') ++i;
    } else {
      return false;
    }
    if (!run()) return false;
  }
  return true;
}

// domain-component := [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]
bool is_domain_component(std::string_view s) {
  if (s.empty() || !is_alnum(s.front()) || !is_alnum(s.back())) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return is_alnum(c) || c == '-'; });
}

// domain := (domain-name | "[" ipv6 "]") (":" [0-9]+)?
bool is_domain(std::string_view s) {
  std::string_view host = s;
  if (!s.empty() && s.front() == '[') {
    size_t close = s.find(']');
    if (close == std::string_view::npos || close == 1) return false;
    std::string_view inner = s.substr(1, close - 1);
    if (!std::all_of(inner.begin(), inner.end(), [](char c) { return is_hex(c) || c == ':'; })) {
      return false;
    }
    host = {};
    s.remove_prefix(close + 1);
  } else {
    size_t colon = s.find(':');
    host = s.substr(0, colon);
    s = colon == std::string_view::npos ? std::string_view{} : s.substr(colon);
    size_t start = 0;
    for (;;) {
      size_t dot = host.find('.', start);
      if (!is_domain_component(host.substr(start, dot - start))) return false;
      if (dot == std::string_view::npos) break;
      start = dot + 1;
    }
  }
  if (s.empty()) return true;
  if (s.front() != ':' || s.size() < 2) return false;
  return std::all_of(s.begin() + 1, s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool is_tag(std::string_view s) {
  if (s.empty() || s.size() > kTagMax || !is_word(s.front())) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return is_word(c) || c == '.' || c == '-'; });
}

// digest := algorithm ":" hex{32,}; algorithm := [A-Za-z][A-Za-z0-9]* ([-_+.][A-Za-z][A-Za-z0-9]*)*
bool is_digest_shape(std::string_view s) {
  size_t colon = s.find(':');
  if (colon == std::string_view::npos) return false;
  std::string_view alg = s.substr(0, colon), hex = s.substr(colon + 1);
  if (hex.size() < 32 || !std::all_of(hex.begin(), hex.end(), is_hex)) return false;
  bool need_alpha = true;
  for (char c : alg) {
    if (need_alpha) {
      if (!std::isalpha(static_cast<unsigned char>(c))) return false;
      need_alpha = false;
    } else if (c == '-' || c == '_' || c == '+' || c == '.') {
      need_alpha = true;
    } else if (!is_alnum(c)) {
      return false;
    }
  }
  return !need_alpha;
}

struct Parts {
  std::string_view name, tag, digest;
};

// The anchored ReferenceRegexp: name (":" tag)? ("@" digest)?
std::optional<Parts> match_reference(std::string_view s) {
  Parts p;
  size_t at = s.find('@');
  if (at != std::string_view::npos) {
    p.digest = s.substr(at + 1);
    if (!is_digest_shape(p.digest)) return std::nullopt;
    s = s.substr(0, at);
  }
  size_t colon = s.rfind(':');
  if (colon != std::string_view::npos && s.find('/', colon) == std::string_view::npos) {
    p.tag = s.substr(colon + 1);
    if (!is_tag(p.tag)) return std::nullopt;
    s = s.substr(0, colon);
  }
  p.name = s;
  std::vector<std::string_view> segs;
  size_t start = 0;
  for (;;) {
    size_t slash = s.find('/', start);
    segs.push_back(s.substr(start, slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  bool first_ok = is_path_component(segs[0]) || (segs.size() > 1 && is_domain(segs[0]));
  if (!first_ok) return std::nullopt;
  for (size_t i = 1; i < segs.size(); ++i) {
    if (!is_path_component(segs[i])) return std::nullopt;
  }
  return p;
}

// reference.Parse: validation with Docker's error order and messages. Returns the parts of a
// reference whose first path segment is not yet split into a domain.
Parts parse_parts(std::string_view s) {
  auto m = match_reference(s);
  if (!m) {
    if (s.empty()) fail("repository name must have at least one component");
    if (match_reference(common::ascii_lower(s))) fail("repository name must be lowercase");
    fail("invalid reference format");
  }
  if (m->name.size() > kNameTotalLengthMax) {
    fail("repository name must not be more than " + std::to_string(kNameTotalLengthMax) +
         " characters");
  }
  if (!m->digest.empty()) {
    std::string_view alg = m->digest.substr(0, m->digest.find(':'));
    std::string_view hex = m->digest.substr(alg.size() + 1);
    if (alg != "sha256" && alg != "sha512") fail("unsupported digest algorithm");
    if (hex.size() != (alg == "sha256" ? 64u : 128u)) fail("invalid checksum digest length");
    if (!common::Digest::try_parse(m->digest)) fail("invalid checksum digest format");
  }
  return *m;
}

// splitDockerDomain (normalize.go): the first segment is a domain only when it looks like one.
std::pair<std::string, std::string> split_domain(std::string_view name) {
  size_t slash = name.find('/');
  std::string domain, rest;
  if (slash == std::string_view::npos ||
      (name.substr(0, slash).find_first_of(".:") == std::string_view::npos &&
       name.substr(0, slash) != "localhost" &&
       common::ascii_lower(name.substr(0, slash)) == name.substr(0, slash))) {
    domain = kDockerHubDomain;
    rest = name;
  } else {
    domain = name.substr(0, slash);
    rest = name.substr(slash + 1);
  }
  if (domain == "index.docker.io") domain = kDockerHubDomain;
  if (domain == kDockerHubDomain && rest.find('/') == std::string::npos) rest = "library/" + rest;
  return {domain, rest};
}

bool is_64_hex(std::string_view s) {
  return s.size() == 64 &&
         std::all_of(s.begin(), s.end(), [](char c) { return is_hex(c) && !std::isupper(c); });
}

Reference from_parts(const Parts& p, std::string domain, std::string path) {
  Reference r;
  r.domain = std::move(domain);
  r.path = std::move(path);
  r.tag = p.tag;
  if (!p.digest.empty()) r.digest = common::Digest::parse(p.digest);
  return r;
}

}  // namespace

Reference parse_reference_no_default(std::string_view text) {
  if (is_64_hex(text)) {
    fail("invalid repository name (" + std::string(text) +
         "), cannot specify 64-byte hexadecimal strings");
  }
  auto [domain, remainder] = split_domain(text);
  std::string remote = remainder.substr(0, remainder.find(':'));
  remote = remote.substr(0, remote.find('@'));
  if (common::ascii_lower(remote) != remote) {
    fail("invalid reference format: repository name (" + remote + ") must be lowercase");
  }
  std::string full = domain + "/" + remainder;
  Parts p = parse_parts(full);
  auto [d, path] = [&] {
    size_t slash = p.name.find('/');
    return std::pair{std::string(p.name.substr(0, slash)), std::string(p.name.substr(slash + 1))};
  }();
  return from_parts(p, std::move(d), std::move(path));
}

Reference parse_reference(std::string_view text) {
  Reference r = parse_reference_no_default(text);
  if (r.tag.empty() && !r.digest) r.tag = "latest";
  return r;
}

std::optional<Reference> try_parse_reference_no_default(std::string_view text) {
  try {
    return parse_reference_no_default(text);
  } catch (const common::Error& e) {
    // The one place the parse's exception means "not a reference"; say why at debug level.
    common::log::debug("not a reference: " + e.message());
    return std::nullopt;
  }
}

std::optional<Reference> try_parse_reference(std::string_view text) {
  auto r = try_parse_reference_no_default(text);
  if (r && r->tag.empty() && !r->digest) r->tag = "latest";
  return r;
}

Reference parse_canonical_reference(std::string_view text) {
  Parts p = parse_parts(text);
  size_t slash = p.name.find('/');
  if (slash == std::string_view::npos || !is_domain(p.name.substr(0, slash))) {
    fail("repository name must be canonical");
  }
  return from_parts(p, std::string(p.name.substr(0, slash)), std::string(p.name.substr(slash + 1)));
}

std::string Reference::str() const {
  std::string s = name();
  if (!tag.empty()) s += ":" + tag;
  if (digest) s += "@" + digest->str();
  return s;
}

std::string Reference::familiar() const {
  std::string s;
  if (domain == kDockerHubDomain) {
    s = path.rfind("library/", 0) == 0 && path.find('/', 8) == std::string::npos ? path.substr(8)
                                                                                 : path;
  } else {
    s = name();
  }
  if (!tag.empty()) s += ":" + tag;
  if (digest) s += "@" + digest->str();
  return s;
}

std::string Reference::manifest_ref() const {
  if (digest) return digest->str();
  return tag.empty() ? "latest" : tag;
}

Reference Reference::with_tag(std::string_view new_tag) const {
  Reference r = repository();
  r.tag = new_tag;
  return r;
}

Reference Reference::with_digest(const common::Digest& d) const {
  Reference r = repository();
  r.digest = d;
  return r;
}

Reference Reference::repository() const { return Reference{domain, path, {}, std::nullopt}; }

bool is_loopback_host(std::string_view domain) {
  std::string_view host = domain;
  if (!host.empty() && host.front() == '[') {
    host = host.substr(1, host.find(']') - 1);
    return host == "::1" || host == "0:0:0:0:0:0:0:1";
  }
  host = host.substr(0, host.find(':'));
  if (host == "localhost") return true;
  // 127.0.0.0/8 as a dotted quad, not a name that happens to start with "127."
  int dots = 0;
  for (char c : host) {
    if (c == '.') {
      ++dots;
    } else if (c < '0' || c > '9') {
      return false;
    }
  }
  return dots == 3 && host.rfind("127.", 0) == 0;
}

}  // namespace mybuild::registry
