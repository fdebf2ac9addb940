// `mybuild login [-u USER] [-p PW | --password-stdin] [SERVER]` and `mybuild logout [SERVER]`,
// with docker login's prompts, messages and warnings.
#include <termios.h>
#include <unistd.h>

#include <iostream>
#include <iterator>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "common/error.h"
#include "image/login.h"

namespace mybuild::cli {
namespace {

struct LoginFlags {
  std::string server;
  std::string username;
  std::string password;
  bool password_stdin = false;
};

std::string prompt(std::ostream& out, const std::string& text, bool secret) {
  if (!::isatty(STDIN_FILENO)) {
    throw common::Error(common::ErrorKind::kUsage,
                        "cannot prompt for " + text + ": standard input is not a terminal; use " +
                            (secret ? "--password-stdin" : "--username"));
  }
  out << text << ": " << std::flush;
  termios old{};
  bool restore = secret && ::tcgetattr(STDIN_FILENO, &old) == 0;
  if (restore) {
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  }
  std::string line;
  std::getline(std::cin, line);
  if (restore) {
    ::tcsetattr(STDIN_FILENO, TCSANOW, &old);
    out << "\n";
  }
  return line;
}

void run_login(const LoginFlags& f, std::ostream& out, std::ostream& err) {
  std::string server = image::login_server(f.server);
  if (f.password_stdin && !f.password.empty()) {
    throw common::Error(common::ErrorKind::kUsage,
                        "--password and --password-stdin are mutually exclusive");
  }
  std::string password = f.password;
  if (!password.empty()) {
    err << "WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n";
  }
  if (f.password_stdin) {
    if (f.username.empty()) {
      throw common::Error(common::ErrorKind::kUsage,
                          "must provide --username with --password-stdin");
    }
    password.assign(std::istreambuf_iterator<char>(std::cin), {});
    while (!password.empty() && (password.back() == '\n' || password.back() == '\r')) {
      password.pop_back();
    }
  }
  std::string username = f.username.empty() ? prompt(out, "Username", false) : f.username;
  if (password.empty()) password = prompt(out, "Password", true);
  if (username.empty() || password.empty()) {
    throw common::Error(common::ErrorKind::kUsage, "a user name and a password are required");
  }
  try {
    std::string where = image::login(server, username, password);
    if (where.rfind("docker-credential-", 0) != 0) {
      err << "WARNING! Your password will be stored unencrypted in " << where << ".\n"
          << "Configure a credential helper to remove this warning. See\n"
          << "https://docs.docker.com/engine/reference/commandline/login/#credentials-store\n";
    }
  } catch (common::Error& e) {
    e.add_context("logging in to " + server);
    throw;
  }
  out << "Login Succeeded\n";
}

}  // namespace

void add_login_commands(CLI::App& app, GlobalOptions& /*global*/, std::ostream& out,
                        std::ostream& err) {
  auto flags = std::make_shared<LoginFlags>();
  auto* login = app.add_subcommand("login", "Log in to a registry (docker.io by default)");
  login->add_option("server", flags->server, "Registry (host[:port]); default docker.io");
  login->add_option("-u,--username", flags->username, "User name");
  login->add_option("-p,--password", flags->password,
                    "Password (insecure: prefer --password-stdin)");
  login->add_flag("--password-stdin", flags->password_stdin, "Read the password from stdin");
  login->callback([flags, &out, &err] { run_login(*flags, out, err); });

  auto server = std::make_shared<std::string>();
  auto* logout = app.add_subcommand("logout", "Log out from a registry (docker.io by default)");
  logout->add_option("server", *server, "Registry (host[:port]); default docker.io");
  logout->callback([server, &out] {
    std::string s = image::login_server(*server);
    if (image::logout(s)) {
      out << "Removing login credentials for " << s << "\n";
    } else {
      out << "Not logged in to " << s << "\n";
    }
  });
}

}  // namespace mybuild::cli
