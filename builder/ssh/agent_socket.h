// The agent socket a RUN --mount=type=ssh step sees. mybuild listens on a Unix socket in a
// private temp dir of its own (0700); the builder bind-mounts that one socket file into the
// step. A thread accepts connections and, per connection, either forwards the bytes to a fresh
// connection to the real agent (`--ssh ID=SOCKET`), or answers the agent protocol itself for
// the keys of `--ssh ID=KEYFILE` (agent_protocol.h). So the step never sees the real agent's
// path, a key file or a descriptor of mybuild's.
//
// The destructor stops everything: it wakes every thread (a pipe they all poll), joins them,
// closes the connections and removes the socket and its directory. It runs when the step ends,
// fails or is cancelled (StepMounts owns it).
#pragma once

#include <filesystem>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "builder/ssh/key.h"
#include "common/temp_dir.h"
#include "common/unique_fd.h"

namespace mybuild::builder::ssh {

class AgentSocket {
 public:
  using Keys = std::shared_ptr<const std::vector<SshKey>>;
  // Forwards to the agent at `agent`. The socket goes in a temp dir under `temp_parent` (or
  // under $TMPDIR when that path would be too long for a Unix socket).
  AgentSocket(const std::filesystem::path& temp_parent, std::filesystem::path agent);
  // Answers for `keys` itself.
  AgentSocket(const std::filesystem::path& temp_parent, Keys keys);
  ~AgentSocket();
  AgentSocket(const AgentSocket&) = delete;
  AgentSocket& operator=(const AgentSocket&) = delete;

  // The listening socket on the host (what the step's target is bound to).
  const std::filesystem::path& path() const { return path_; }

 private:
  void start(const std::filesystem::path& temp_parent);
  void accept_loop();
  void serve_keys(common::UniqueFd client) const;
  void forward(common::UniqueFd client) const;

  std::filesystem::path agent_;
  Keys keys_;
  std::unique_ptr<common::TempDir> dir_;
  std::filesystem::path path_;
  common::UniqueFd listen_;
  common::UniqueFd wake_read_, wake_write_;
  std::thread acceptor_;
  std::mutex mu_;
  std::vector<std::thread> connections_;
};

}  // namespace mybuild::builder::ssh
