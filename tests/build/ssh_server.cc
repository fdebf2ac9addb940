#include "tests/build/ssh_server.h"

#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <thread>

#include "tests/build/build_fixture.h"
#include "tests/build/loopback.h"

namespace mybuild::build_testing {
namespace {

bool keygen(const std::filesystem::path& key, const char* type = "ed25519") {
  return run_process({"ssh-keygen", "-q", "-t", type, "-N", "", "-C", key.filename().string(), "-f",
                      key.string()},
                     {})
      .ok();
}

void stop_group(pid_t& pid) {
  if (pid <= 0) return;
  ::kill(-pid, SIGTERM);
  ::kill(pid, SIGTERM);
  ::waitpid(pid, nullptr, 0);
  pid = -1;
}

}  // namespace

SshServer::SshServer(const std::filesystem::path& dir) : dir_(dir), port_(unused_loopback_port()) {
  std::filesystem::create_directories(dir_);
  if (!keygen(dir_ / "host_ed25519") || !keygen(client_key()) || !keygen(other_key()) ||
      !keygen(rsa_key(), "rsa")) {
    why_not_ = "ssh-keygen failed";
    return;
  }
  write_file(dir_ / "authorized_keys",
             read_file(client_key().string() + ".pub") + read_file(rsa_key().string() + ".pub"),
             0600);
  write_file(dir_ / "sshd_config",
             "Port " + std::to_string(port_) + "\nListenAddress 127.0.0.1\nHostKey " +
                 (dir_ / "host_ed25519").string() + "\nPidFile " + (dir_ / "sshd.pid").string() +
                 "\nAuthorizedKeysFile " + (dir_ / "authorized_keys").string() +
                 "\nPermitRootLogin prohibit-password\nStrictModes no\nPasswordAuthentication "
                 "no\nKbdInteractiveAuthentication no\nUsePAM no\nLogLevel VERBOSE\n");
  // sshd refuses to start without its privilege separation directory (Debian's is /run/sshd).
  std::filesystem::create_directories("/run/sshd");
  RunOptions opts;
  opts.cwd = dir_;
  Background b = start_process(
      {"/usr/sbin/sshd", "-D", "-e", "-f", (dir_ / "sshd_config").string()}, opts, dir_);
  pid_ = b.pid;
  for (int i = 0; i < 200 && !up_; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
    up_ = accepts_connections(port_);
  }
  if (!up_) why_not_ = "sshd did not start: " + read_file(b.err);
}

SshServer::~SshServer() { stop_group(pid_); }

std::string SshServer::url(const std::string& repo_path) const {
  return "ssh://root@127.0.0.1:" + std::to_string(port_) + repo_path;
}

SshAgentProcess::SshAgentProcess(const std::filesystem::path& dir, const std::filesystem::path& key)
    : socket_(dir / "agent.sock") {
  std::filesystem::create_directories(dir);
  RunOptions opts;
  opts.cwd = dir;
  pid_ = start_process({"ssh-agent", "-D", "-a", socket_.string()}, opts, dir).pid;
  for (int i = 0; i < 200 && !std::filesystem::exists(socket_); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  up_ = run_process({"ssh-add", "-q", key.string()},
                    in_dir(dir, {{"SSH_AUTH_SOCK", socket_.string()}}))
            .ok();
}

SshAgentProcess::~SshAgentProcess() { stop_group(pid_); }

}  // namespace mybuild::build_testing
