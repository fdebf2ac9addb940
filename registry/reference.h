// Image references ("alpine", "localhost:5000/a/b:t", "x@sha256:..."), parsed and normalised
// exactly as Docker's distribution/reference package does (ParseNormalizedNamed + Parse), so a
// name means here what it means to `docker pull`. Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/digest.h"

namespace mybuild::registry {

inline constexpr std::string_view kDockerHubDomain = "docker.io";
// The API host behind docker.io (distribution's "index.docker.io" legacy name maps here too).
inline constexpr std::string_view kDockerHubApiHost = "registry-1.docker.io";

struct Reference {
  std::string domain;  // "docker.io", "localhost:5000", "[::1]:5000"
  std::string path;    // "library/alpine": the repository name in API URLs
  std::string tag;     // empty when absent
  std::optional<common::Digest> digest;

  // "docker.io/library/alpine"
  std::string name() const { return domain + "/" + path; }
  // "docker.io/library/alpine:3.20@sha256:..." (whatever parts are present).
  std::string str() const;
  // Docker's FamiliarString: "alpine:3.20", "user/app", "localhost:5000/x:t".
  std::string familiar() const;
  // The tag or digest a manifest request names: the digest when present (it pins the content,
  // as docker does for tag@digest), else the tag, else "latest".
  std::string manifest_ref() const;
  // The same repository with another tag/digest.
  Reference with_tag(std::string_view new_tag) const;
  Reference with_digest(const common::Digest& d) const;
  Reference repository() const;  // no tag, no digest

  friend bool operator==(const Reference&, const Reference&) = default;
};

// ParseNormalizedNamed + TagNameOnly: adds docker.io and library/, and ":latest" when neither a
// tag nor a digest is given. Throws Error(kUsage) with Docker's message on invalid input.
Reference parse_reference(std::string_view text);
// parse_reference for text that may be something else (an image ID, a stage name): nullopt
// when it is not a valid reference.
std::optional<Reference> try_parse_reference(std::string_view text);
// Like parse_reference but leaves tag and digest empty when not given (for `push REF` where a
// missing tag means latest anyway, and for repository-only arguments).
Reference parse_reference_no_default(std::string_view text);
std::optional<Reference> try_parse_reference_no_default(std::string_view text);
// Strict Parse of an already fully-qualified reference: no docker.io/library defaults.
Reference parse_canonical_reference(std::string_view text);

// True when `host` (with or without port) is a loopback registry: localhost, 127.0.0.0/8, ::1.
bool is_loopback_host(std::string_view domain);

}  // namespace mybuild::registry
