#include "tests/registry/registry_server.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

#include <algorithm>
#include <stdexcept>

#include "common/io.h"

namespace mybuild::registry::testing {
namespace {

void must(const std::vector<std::string>& argv) {
  std::string out;
  if (run_command(argv, &out) != 0) throw std::runtime_error(argv[0] + " failed: " + out);
}

// `ext`: the x509 extensions; empty makes a CA.
void make_cert(const std::filesystem::path& dir, const std::string& name, const std::string& cn,
               const TestPki* ca, const std::string& ext_text) {
  auto key = dir / (name + ".key"), csr = dir / (name + ".csr"), crt = dir / (name + ".crt");
  must({"/usr/bin/openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
        "-nodes", "-keyout", key.string(), "-subj", "/CN=" + cn, "-out", csr.string()});
  auto ext = dir / (name + ".ext");
  common::write_file_atomic(ext,
                            ext_text.empty() ? "basicConstraints=critical,CA:TRUE\n" : ext_text);
  std::vector<std::string> sign = {"/usr/bin/openssl", "x509",     "-req",      "-in",
                                   csr.string(),       "-days",    "2",         "-out",
                                   crt.string(),       "-extfile", ext.string()};
  if (ca) {
    sign.insert(sign.end(), {"-CA", ca->ca_cert.string(), "-CAkey", (dir / "ca.key").string(),
                             "-CAcreateserial"});
  } else {
    sign.insert(sign.end(), {"-signkey", key.string()});
  }
  must(sign);
}

}  // namespace

std::filesystem::path python3() { return "/usr/bin/python3"; }

bool have_registry() { return std::filesystem::exists("/usr/bin/docker-registry"); }

std::string non_loopback_ipv4() {
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return "";
  std::string found;
  for (ifaddrs* i = list; i && found.empty(); i = i->ifa_next) {
    if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET || (i->ifa_flags & IFF_LOOPBACK) ||
        !(i->ifa_flags & IFF_UP)) {
      continue;
    }
    char buf[INET_ADDRSTRLEN] = {};
    auto* in = reinterpret_cast<sockaddr_in*>(i->ifa_addr);
    if (::inet_ntop(AF_INET, &in->sin_addr, buf, sizeof buf)) found = buf;
  }
  ::freeifaddrs(list);
  return found;
}

TestPki::TestPki(const std::filesystem::path& dir) {
  make_cert(dir, "ca", "mybuild test CA", nullptr, "");
  ca_cert = dir / "ca.crt";
  make_cert(dir, "server", "localhost", this, "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  server_cert = dir / "server.crt";
  server_key = dir / "server.key";
  make_cert(dir, "client", "mybuild test client", this, "extendedKeyUsage=clientAuth\n");
  client_cert = dir / "client.crt";
  client_key = dir / "client.key";
  make_cert(dir, "signing", "mybuild token signer", nullptr, "");
  signing_cert = dir / "signing.crt";
  signing_key = dir / "signing.key";
}

TokenServer::TokenServer(const TestPki& pki, TokenServerOptions options)
    : dir_("mybuild-token-"), options_(std::move(options)), port_(free_port()) {
  proc_ = std::make_unique<ChildProcess>(
      std::vector<std::string>{
          python3().string(), MYBUILD_SOURCE_DIR "/tests/registry/token_server.py",
          std::to_string(port_), pki.signing_key.string(), pki.signing_cert.string(), options_.user,
          options_.password, options_.anonymous_pull ? "1" : "0", (dir_.path() / "issued").string(),
          options_.expires_in},
      dir_.path() / "log");
  if (!wait_for_port(port_, 20, proc_.get())) {
    throw std::runtime_error("token server did not start: " + proc_->log_tail());
  }
}

std::vector<std::string> TokenServer::issued_tokens() const {
  std::vector<std::string> out = {"refresh-" + options_.user + "-0123456789"};
  std::error_code ec;
  if (!std::filesystem::exists(dir_.path() / "issued.tokens", ec)) return out;
  std::string s = common::read_file(dir_.path() / "issued.tokens");
  for (size_t p = 0; p < s.size();) {
    size_t nl = s.find('\n', p);
    if (nl == std::string::npos) nl = s.size();
    if (nl > p) out.push_back(s.substr(p, nl - p));
    p = nl + 1;
  }
  return out;
}

int TokenServer::tokens_issued() const {
  try {
    std::string s = common::read_file(dir_.path() / "issued");
    return static_cast<int>(std::count(s.begin(), s.end(), '\n'));
  } catch (...) {
    return 0;
  }
}

ScriptServer::ScriptServer(const std::string& script, std::vector<std::string> args)
    : dir_("mybuild-script-"), port_(free_port()) {
  std::vector<std::string> argv = {
      python3().string(), MYBUILD_SOURCE_DIR "/tests/registry/" + script, std::to_string(port_)};
  argv.insert(argv.end(), args.begin(), args.end());
  proc_ = std::make_unique<ChildProcess>(argv, dir_.path() / "log");
  if (!wait_for_port(port_, 20, proc_.get())) {
    throw std::runtime_error(script + " did not start: " + proc_->log_tail());
  }
}

RegistryServer::RegistryServer(RegistryOptions o)
    : dir_("mybuild-registry-"), host_(o.host), port_(free_port()) {
  std::string cfg =
      "version: 0.1\n"
      "log:\n  level: warn\n  accesslog:\n    disabled: true\n"
      "storage:\n  filesystem:\n    rootdirectory: " +
      (dir_.path() / "data").string() +
      "\n"
      "  delete:\n    enabled: true\n"
      "http:\n  addr: " +
      host_ + ":" + std::to_string(port_) + "\n  secret: mybuild-test\n";
  if (o.tls) {
    cfg += "  tls:\n    certificate: " + o.tls->server_cert.string() +
           "\n    key: " + o.tls->server_key.string() + "\n";
    if (o.client_ca) cfg += "    clientcas:\n      - " + o.client_ca->ca_cert.string() + "\n";
  }
  if (o.htpasswd) {
    auto file = dir_.path() / "htpasswd";
    std::string out;
    if (run_command({"/usr/bin/htpasswd", "-Bbn", o.htpasswd->first, o.htpasswd->second}, &out)) {
      throw std::runtime_error("htpasswd: " + out);
    }
    common::write_file_atomic(file, out);
    cfg += "auth:\n  htpasswd:\n    realm: mybuild-test\n    path: " + file.string() + "\n";
  }
  if (o.token) {
    cfg += "auth:\n  token:\n    realm: " + o.token->realm() +
           "\n    service: mybuild-test-registry\n    issuer: mybuild-test-issuer\n"
           "    rootcertbundle: " +
           o.token_pki->signing_cert.string() + "\n";
  }
  common::write_file_atomic(dir_.path() / "config.yml", cfg);
  proc_ = std::make_unique<ChildProcess>(
      std::vector<std::string>{"/usr/bin/docker-registry", "serve",
                               (dir_.path() / "config.yml").string()},
      dir_.path() / "log");
  if (!wait_for_port(port_, 20, proc_.get(), host_)) {
    throw std::runtime_error("docker-registry did not start: " + proc_->log_tail());
  }
}

}  // namespace mybuild::registry::testing
