// A real OpenSSH server for the ssh tests (tests/build/ssh_test.cc): `/usr/sbin/sshd -D` with a
// config of its own in a temp dir, on a free loopback port, with its own host key (ssh-keygen)
// and one authorized key, letting root in by key only. Git repositories under dir() are served
// as ssh://root@127.0.0.1:PORT/<dir>/<name>. The server (and its process group) is killed when
// the object goes; so is the ssh-agent an SshAgentProcess starts.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>

namespace mybuild::build_testing {

class SshServer {
 public:
  // Makes keys and config under `dir` and starts sshd; up() says whether it answers.
  explicit SshServer(const std::filesystem::path& dir);
  ~SshServer();
  SshServer(const SshServer&) = delete;
  SshServer& operator=(const SshServer&) = delete;

  bool up() const { return up_; }
  std::string why_not() const { return why_not_; }
  int port() const { return port_; }
  const std::filesystem::path& dir() const { return dir_; }
  // The private key the server accepts (ed25519, unencrypted) and one it does not.
  std::filesystem::path client_key() const { return dir_ / "client_ed25519"; }
  std::filesystem::path other_key() const { return dir_ / "other_ed25519"; }
  std::filesystem::path rsa_key() const { return dir_ / "client_rsa"; }  // accepted too
  std::string url(const std::string& repo_path) const;  // ssh://root@127.0.0.1:PORT<repo_path>

 private:
  std::filesystem::path dir_;
  int port_ = 0;
  pid_t pid_ = -1;
  bool up_ = false;
  std::string why_not_;
};

// `ssh-agent -D -a SOCKET` with `key` added (ssh-add), killed when the object goes.
class SshAgentProcess {
 public:
  SshAgentProcess(const std::filesystem::path& dir, const std::filesystem::path& key);
  ~SshAgentProcess();
  SshAgentProcess(const SshAgentProcess&) = delete;
  SshAgentProcess& operator=(const SshAgentProcess&) = delete;

  bool up() const { return up_; }
  const std::filesystem::path& socket() const { return socket_; }

 private:
  std::filesystem::path socket_;
  pid_t pid_ = -1;
  bool up_ = false;
};

}  // namespace mybuild::build_testing
