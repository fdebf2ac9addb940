#include "builder/ssh/agent_socket.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "builder/ssh/agent_protocol.h"
#include "builder/ssh/unix_socket.h"
#include "common/error.h"
#include "common/log.h"
#include "common/process_owner.h"

namespace mybuild::builder::ssh {

using common::UniqueFd;

namespace {

// sun_path holds 108 bytes; "<parent>/mybuild-ssh-<pid>.<start>-XXXXXX/agent.sock" must fit.
std::filesystem::path agent_temp_parent(const std::filesystem::path& wanted) {
  if (wanted.native().size() + 64 < 108) return wanted;
  return std::filesystem::temp_directory_path();
}

// Copies what one side sends to the other until either closes or `wake_fd` says stop.
void copy_both_ways(int a, int b, int wake_fd) {
  char buf[16384];
  pollfd fds[3] = {{a, POLLIN, 0}, {b, POLLIN, 0}, {wake_fd, POLLIN, 0}};
  while (true) {
    int rc = ::poll(fds, 3, -1);
    if (rc < 0 && errno == EINTR) continue;
    if (rc < 0 || fds[2].revents != 0) return;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].revents == 0) continue;
      ssize_t n = ::recv(fds[i].fd, buf, sizeof buf, 0);
      if (n <= 0 && !(n < 0 && errno == EINTR)) return;
      if (n > 0 && !send_all(fds[1 - i].fd, std::string_view(buf, static_cast<size_t>(n)))) return;
    }
  }
}

}  // namespace

AgentSocket::AgentSocket(const std::filesystem::path& temp_parent, std::filesystem::path agent)
    : agent_(std::move(agent)) {
  start(temp_parent);
}

AgentSocket::AgentSocket(const std::filesystem::path& temp_parent, Keys keys)
    : keys_(std::move(keys)) {
  start(temp_parent);
}

void AgentSocket::start(const std::filesystem::path& temp_parent) {
  dir_ = std::make_unique<common::TempDir>(common::owned_prefix("mybuild-ssh-"),
                                           agent_temp_parent(temp_parent));
  path_ = dir_->path() / "agent.sock";
  listen_ = listen_unix(path_);
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) common::throw_errno("pipe2", "ssh agent wake-up");
  wake_read_.reset(pipe_fds[0]);
  wake_write_.reset(pipe_fds[1]);
  acceptor_ = std::thread([this] { accept_loop(); });
}

AgentSocket::~AgentSocket() {
  if (::write(wake_write_.get(), "x", 1) != 1) {
    common::log::warn("ssh agent socket: waking its threads failed; waiting for them anyway");
  }
  if (acceptor_.joinable()) acceptor_.join();
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(mu_);
    threads.swap(connections_);
  }
  for (auto& t : threads) t.join();
  // listen_ closes and dir_ removes the socket with its directory as the members go.
}

void AgentSocket::accept_loop() {
  while (wait_readable(listen_.get(), wake_read_.get())) {
    UniqueFd client(::accept4(listen_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!client) continue;  // EINTR, ECONNABORTED: the next one
    std::lock_guard lock(mu_);
    connections_.emplace_back([this, fd = client.release()] {
      if (keys_) {
        serve_keys(UniqueFd(fd));
      } else {
        forward(UniqueFd(fd));
      }
    });
  }
}

void AgentSocket::serve_keys(UniqueFd client) const {
  while (auto request = recv_agent_message(client.get(), wake_read_.get())) {
    if (!send_all(client.get(), frame_agent_message(answer_agent_request(*request, *keys_)))) {
      return;
    }
  }
}

void AgentSocket::forward(UniqueFd client) const {
  try {
    UniqueFd agent = connect_unix(agent_, "ssh agent");
    copy_both_ways(client.get(), agent.get(), wake_read_.get());
  } catch (const common::Error& e) {
    // The step sees its connection closed, as when an agent goes away; the build log says why.
    common::log::warn(std::string("RUN --mount=type=ssh: ") + e.what());
  }
}

}  // namespace mybuild::builder::ssh
