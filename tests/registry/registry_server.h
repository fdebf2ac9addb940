// Real servers for the registry integration tests: Debian's docker-registry (CNCF
// distribution) on a free loopback port with temp storage, optionally with TLS (a CA and
// server certificate made with the openssl CLI at test time), htpasswd Basic auth, or token
// auth against the python3 token issuer in token_server.py. Every server is an RAII owner:
// destroyed, it is killed and its files removed, whatever the test did.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/temp_dir.h"
#include "tests/registry/child_process.h"

namespace mybuild::registry::testing {

// A CA and a server certificate for 127.0.0.1/localhost, a client certificate (clientAuth)
// from the same CA, plus a JWT signing cert.
struct TestPki {
  explicit TestPki(const std::filesystem::path& dir);
  std::filesystem::path ca_cert, server_cert, server_key, client_cert, client_key, signing_cert,
      signing_key;
};

struct TokenServerOptions {
  std::string user = "tokenuser";
  std::string password = "tokenpass";
  bool anonymous_pull = true;
  // The JSON value of every answer's expires_in, as written (hostile tests send "-5", "1e30").
  std::string expires_in = "300";
};

// token_server.py: issues ES256 JWTs the registry verifies through their x5c chain.
class TokenServer {
 public:
  TokenServer(const TestPki& pki, TokenServerOptions options = {});
  std::string realm() const { return "http://127.0.0.1:" + std::to_string(port_) + "/token"; }
  // How many tokens it has issued (it appends one line per token to a file).
  int tokens_issued() const;
  // Every token it issued, and the refresh token it hands out (for leak checks).
  std::vector<std::string> issued_tokens() const;
  const TokenServerOptions& options() const { return options_; }

 private:
  common::TempDir dir_;
  TokenServerOptions options_;
  int port_;
  std::unique_ptr<ChildProcess> proc_;
};

struct RegistryOptions {
  const TestPki* tls = nullptr;  // serve HTTPS with the PKI's server certificate
  std::optional<std::pair<std::string, std::string>> htpasswd;  // user, password
  const TokenServer* token = nullptr;
  const TestPki* token_pki = nullptr;
  // With `tls`: require a client certificate signed by this PKI's CA (http.tls.clientcas).
  const TestPki* client_ca = nullptr;
  std::string host = "127.0.0.1";  // the address it listens on (an IPv4 literal)
};

class RegistryServer {
 public:
  explicit RegistryServer(RegistryOptions options = {});
  int port() const { return port_; }
  std::string domain() const { return host_ + ":" + std::to_string(port_); }
  std::string log_tail() const { return proc_->log_tail(); }
  const std::filesystem::path& dir() const { return dir_.path(); }

 private:
  common::TempDir dir_;
  std::string host_;
  int port_;
  std::unique_ptr<ChildProcess> proc_;
};

// A python3 helper from tests/registry (fault_proxy.py, evil_registry.py) on a free port; the
// script gets the port first, then `args`.
class ScriptServer {
 public:
  ScriptServer(const std::string& script, std::vector<std::string> args);
  int port() const { return port_; }
  std::string domain() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string log_tail() const { return proc_->log_tail(); }

 private:
  common::TempDir dir_;
  int port_;
  std::unique_ptr<ChildProcess> proc_;
};

// True when the docker-registry binary is installed (tests skip with a reason otherwise).
bool have_registry();
// An IPv4 address of this machine that is not loopback, or "" when it has none.
std::string non_loopback_ipv4();
std::filesystem::path python3();

}  // namespace mybuild::registry::testing
