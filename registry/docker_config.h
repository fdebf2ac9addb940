// Docker's client config ($DOCKER_CONFIG/config.json, default ~/.docker/config.json): the
// credentials `docker login` stored, read and written the way the docker CLI does so that a
// `docker login` works for mybuild and a `mybuild login` for docker. Credentials come from, in
// Docker's order: credHelpers[host], then credsStore, then auths[host] (auth = base64(user:pw),
// or identitytoken). Helpers run as `docker-credential-<name> get|store|erase` (the
// docker-credential-helpers protocol). Not thread-safe; the client reads it once per host.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace mybuild::registry {

struct Credentials {
  std::string username;
  std::string password;        // secret: never logged
  std::string identity_token;  // OAuth2 refresh token (secret), when the registry gave one
  // Where these came from, for error messages: `config file /root/.docker/config.json (auths
  // "localhost:5000")`, `credential helper docker-credential-pass`.
  std::string source;
};

class DockerConfig {
 public:
  // $DOCKER_CONFIG/config.json, else $HOME/.docker/config.json.
  static std::filesystem::path default_path();
  explicit DockerConfig(std::filesystem::path path = default_path());

  // The stored credentials for a registry domain ("docker.io", "localhost:5000"); nullopt when
  // none. Throws Error(kAuth) when the file is malformed or a helper fails.
  std::optional<Credentials> lookup(std::string_view domain) const;
  // Stores through the configured helper, else in auths (file mode 0600, written atomically,
  // other keys kept). Returns a description of where they went.
  std::string store(std::string_view domain, const Credentials& creds);
  // Removes them; returns false when nothing was stored.
  bool erase(std::string_view domain);

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Where Kaniko's image keeps credentials; pipelines written for Kaniko mount a Secret there
// (GitLab's and Tekton's Kaniko examples write it), so mybuild reads it too.
inline constexpr std::string_view kKanikoDockerConfig = "/kaniko/.docker/config.json";

// The credentials for `domain` from `primary`, else (when `primary` has none and is another
// file) from `fallback`: a pipeline switching from Kaniko keeps its credential mount while
// mybuild's own DOCKER_CONFIG stays where `mybuild login` writes.
std::optional<Credentials> lookup_credentials(
    const std::filesystem::path& primary, std::string_view domain,
    const std::filesystem::path& fallback = std::filesystem::path(kKanikoDockerConfig));

// The key docker uses in config.json for a domain: docker.io is "https://index.docker.io/v1/".
std::string config_key(std::string_view domain);

}  // namespace mybuild::registry
