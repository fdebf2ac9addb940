#include "registry/credential_helper.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <vector>

#include "common/error.h"
#include "common/io.h"
#include "common/unique_fd.h"

extern char** environ;

namespace mybuild::registry {
namespace {

using common::Error;
using common::ErrorKind;

struct HelperResult {
  int status = 0;
  std::string out;
};

// Runs the helper with `input` on stdin; stdout is collected (it is small JSON). stdin is
// written fully before reading: helper requests are a few hundred bytes, under the pipe buffer.
HelperResult run_helper(std::string_view helper, std::string_view verb, std::string_view input) {
  std::string program = "docker-credential-" + std::string(helper);
  // stdin is a socket so that writing to a helper that has already exited gives EPIPE through
  // MSG_NOSIGNAL instead of killing us with SIGPIPE.
  int in[2], out[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) != 0) {
    common::throw_errno("socketpair", program);
  }
  common::UniqueFd in_r(in[0]), in_w(in[1]);
  if (::pipe2(out, O_CLOEXEC) != 0) common::throw_errno("pipe2", program);
  common::UniqueFd out_r(out[0]), out_w(out[1]);

  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in_r.get(), 0);
  posix_spawn_file_actions_adddup2(&fa, out_w.get(), 1);
  std::string verb_s(verb);
  std::vector<char*> argv = {program.data(), verb_s.data(), nullptr};
  pid_t pid = 0;
  int rc = ::posix_spawnp(&pid, program.c_str(), &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) {
    throw Error(ErrorKind::kAuth,
                "credential helper " + program + " could not be run: " + std::strerror(rc));
  }
  in_r.reset();
  out_w.reset();
  HelperResult result;
  // A helper that exits without reading its input fails the send; its exit status says why.
  while (!input.empty()) {
    ssize_t n = ::send(in_w.get(), input.data(), input.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    input.remove_prefix(static_cast<size_t>(n));
  }
  in_w.reset();
  common::FdReader reader(std::move(out_r));
  try {
    result.out = common::read_all(reader, 1 << 20);
  } catch (const Error&) {
    result.status = -1;
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (result.status == 0) result.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
  return result;
}

std::string trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  return s;
}

}  // namespace

std::optional<Credentials> helper_get(std::string_view helper, std::string_view server_url) {
  std::string program = "docker-credential-" + std::string(helper);
  HelperResult r = run_helper(helper, "get", server_url);
  if (r.status != 0) {
    // The protocol's "not found" answer (credentials/credentials.go, errCredentialsNotFound).
    if (r.out.find("credentials not found") != std::string::npos) return std::nullopt;
    throw Error(ErrorKind::kAuth, program + " get failed (exit " + std::to_string(r.status) +
                                      "): " + trim(r.out.substr(0, 200)));
  }
  try {
    auto j = nlohmann::json::parse(r.out);
    Credentials c;
    c.username = j.value("Username", "");
    std::string secret = j.value("Secret", "");
    // "<token>" as the user name marks an identity token (docker cli/config/credentials).
    if (c.username == "<token>") {
      c.username.clear();
      c.identity_token = std::move(secret);
    } else {
      c.password = std::move(secret);
    }
    c.source = "credential helper " + program;
    return c;
  } catch (const nlohmann::json::exception&) {
    throw Error(ErrorKind::kAuth, program + " get: answer is not the helper protocol's JSON");
  }
}

void helper_store(std::string_view helper, std::string_view server_url, const Credentials& creds) {
  nlohmann::json j;
  j["ServerURL"] = server_url;
  j["Username"] = creds.identity_token.empty() ? creds.username : "<token>";
  j["Secret"] = creds.identity_token.empty() ? creds.password : creds.identity_token;
  HelperResult r = run_helper(helper, "store", j.dump());
  if (r.status != 0) {
    throw Error(ErrorKind::kAuth, "docker-credential-" + std::string(helper) +
                                      " store failed: " + trim(r.out.substr(0, 200)));
  }
}

void helper_erase(std::string_view helper, std::string_view server_url) {
  HelperResult r = run_helper(helper, "erase", server_url);
  if (r.status != 0 && r.out.find("credentials not found") == std::string::npos) {
    throw Error(ErrorKind::kAuth, "docker-credential-" + std::string(helper) +
                                      " erase failed: " + trim(r.out.substr(0, 200)));
  }
}

}  // namespace mybuild::registry
