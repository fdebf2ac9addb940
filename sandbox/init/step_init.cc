// mybuild-init: PID 1 of every RUN step (sandbox/init_binary.h). A separate static program, so
// that PID 1 is not a fork of mybuild: nothing of mybuild's memory (registry tokens, other
// steps' secrets), descriptors or argv stays in the step, and /proc/1/exe is a sealed memfd, not
// the host binary. The sandbox's forked PID 1 starts the step's process and then execs this;
// from here on it only reaps zombies, forwards signals to the main process and reports the main
// process's wait status to mybuild.
//
// argv: mybuild-init <status fd> <main pid>. Every signal is blocked on entry (the mask survives
// execve), so none sent before the handlers below exist is lost.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

namespace {

void noop_handler(int) {}

// Signals forwarded to the main process. A PID-namespace init only receives signals it has a
// handler for, so each gets a no-op handler; all stay blocked and are taken with sigwaitinfo.
constexpr int kForwarded[] = {SIGHUP,  SIGINT,  SIGQUIT, SIGTERM, SIGUSR1,
                              SIGUSR2, SIGALRM, SIGCONT, SIGWINCH};

void write_all(int fd, const void* data, size_t size) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t n = ::write(fd, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    p += n;
    size -= static_cast<size_t>(n);
  }
}

// Reaps every exited child; when the main process is among them, reports it and ends the step
// (the kernel then kills whatever else is left in the PID namespace).
void reap(int status_fd, pid_t main_pid) {
  int status = 0;
  pid_t pid;
  while ((pid = ::waitpid(-1, &status, WNOHANG)) > 0) {
    if (pid == main_pid) {
      write_all(status_fd, &status, sizeof(status));
      ::_exit(0);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) return 125;
  int status_fd = std::atoi(argv[1]);
  pid_t main_pid = static_cast<pid_t>(std::atoi(argv[2]));
  struct sigaction act {};
  act.sa_handler = noop_handler;
  for (int sig : kForwarded) ::sigaction(sig, &act, nullptr);
  ::sigaction(SIGCHLD, &act, nullptr);
  sigset_t all;
  sigfillset(&all);
  ::sigprocmask(SIG_SETMASK, &all, nullptr);
  while (true) {
    reap(status_fd, main_pid);  // first pass: the main process may be gone before our exec
    siginfo_t info{};
    int sig = ::sigwaitinfo(&all, &info);
    if (sig > 0 && sig != SIGCHLD) ::kill(main_pid, sig);
  }
}
