#include "image/login.h"

#include "image/registry_options.h"
#include "registry/client.h"
#include "registry/docker_config.h"

namespace mybuild::image {

std::string login_server(std::string_view arg) {
  if (auto p = arg.find("://"); p != std::string_view::npos) arg.remove_prefix(p + 3);
  arg = arg.substr(0, arg.find('/'));
  if (arg.empty() || arg == "index.docker.io" || arg == "registry-1.docker.io") {
    return std::string(registry::kDockerHubDomain);
  }
  return std::string(arg);
}

std::string login(const std::string& server, const std::string& username,
                  const std::string& password) {
  registry::Credentials creds{username, password, "", "the credentials given"};
  // The config file's insecure registries and certs apply, as dockerd's do to docker login.
  registry::Client client(registry_client_options({}));
  client.check_login(server, creds);
  return registry::DockerConfig().store(server, creds);
}

bool logout(const std::string& server) { return registry::DockerConfig().erase(server); }

}  // namespace mybuild::image
