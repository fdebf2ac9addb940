// A child process the integration tests start (a registry, a token server, a fault proxy):
// its own process group, output to a log file, killed and reaped on destruction, so a failing
// test leaves no server behind.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

namespace mybuild::registry::testing {

class ChildProcess {
 public:
  ChildProcess(std::vector<std::string> argv, const std::filesystem::path& log);
  ChildProcess(ChildProcess&& other) noexcept : pid_(other.pid_), log_(std::move(other.log_)) {
    other.pid_ = -1;
  }
  ChildProcess& operator=(ChildProcess&&) = delete;
  ~ChildProcess();

  pid_t pid() const { return pid_; }
  bool running() const;
  // The last lines of its output, for failure messages.
  std::string log_tail() const;

 private:
  pid_t pid_ = -1;
  std::filesystem::path log_;
};

// A loopback TCP port that was free a moment ago.
int free_port();
// Waits until something accepts on host:port (an IPv4 literal); false after `seconds`.
bool wait_for_port(int port, int seconds, const ChildProcess* child = nullptr,
                   const std::string& host = "127.0.0.1");
// Runs a command to completion; returns its exit status, output in `out`.
int run_command(const std::vector<std::string>& argv, std::string* out = nullptr);

}  // namespace mybuild::registry::testing
