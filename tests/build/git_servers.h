// Git servers on loopback for the git context tests, each alive for the life of its object:
// `git daemon` (git://) and lighttpd running `git http-backend` over TLS with Basic auth
// (smart HTTP, as a forge serves it), which also serves plain files from a directory.
#pragma once

#include <sys/types.h>

#include <string>

#include "tests/build/build_fixture.h"
#include "tests/build/loopback.h"

namespace mybuild::build_testing {

// The environment the tests run `git` in: an identity, no system or user config (HOME=`home`),
// and only the git and file transports (submodules from the test's git daemon).
std::map<std::string, std::string> git_test_env(const fs::path& home);

class GitDaemon {
 public:
  // Exports the repositories under `base`; logs next to it.
  explicit GitDaemon(const fs::path& base);
  ~GitDaemon();
  GitDaemon(const GitDaemon&) = delete;
  GitDaemon& operator=(const GitDaemon&) = delete;

  bool up() const { return up_; }
  std::string url(const std::string& repo) const {
    return "git://127.0.0.1:" + std::to_string(port_) + "/" + repo;
  }

 private:
  int port_;
  pid_t pid_ = -1;
  bool up_ = false;
};

// https://127.0.0.1:PORT/git/<repo> serves the repositories under `repos` to `user`:`password`
// only; https://127.0.0.1:PORT/files/<name> serves `files` to anyone. The certificate (made
// with openssl for 127.0.0.1 as an IP and a DNS name: mbedTLS, in libgit2, matches only DNS
// names) is ca_file(); the server's files live in `dir`.
class HttpsGitServer {
 public:
  HttpsGitServer(const fs::path& dir, const fs::path& repos, const fs::path& files,
                 const std::string& user, const std::string& password);
  ~HttpsGitServer();
  HttpsGitServer(const HttpsGitServer&) = delete;
  HttpsGitServer& operator=(const HttpsGitServer&) = delete;

  // Empty when it runs; else why not (lighttpd or openssl missing, the server did not start).
  const std::string& problem() const { return problem_; }
  std::string host() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string git_url(const std::string& repo) const {
    return "https://" + host() + "/git/" + repo;
  }
  std::string file_url(const std::string& name) const {
    return "https://" + host() + "/files/" + name;
  }
  fs::path ca_file() const { return dir_ / "cert.pem"; }

 private:
  fs::path dir_;
  int port_;
  pid_t pid_ = -1;
  std::string problem_;
};

}  // namespace mybuild::build_testing
