// Private keys that mybuild's own ssh agent (agent_protocol.h) signs with, for `--ssh ID=KEYFILE`:
// unencrypted OpenSSH keys ("-----BEGIN OPENSSH PRIVATE KEY-----", the openssh-key-v1 format,
// parsed by hand in key.cc because OpenSSL does not read it) holding ed25519 or RSA keys, and
// PEM keys OpenSSL loads (PKCS#8, PKCS#1 RSA). Signing goes through OpenSSL EVP.
//
// A key never leaves the process: it is not written anywhere, and errors name the file only.
#pragma once

#include <openssl/evp.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace mybuild::builder::ssh {

// SSH_AGENT_RSA_SHA2_256 / _512 (draft-miller-ssh-agent, "Signature flags").
inline constexpr uint32_t kAgentRsaSha2_256 = 2;
inline constexpr uint32_t kAgentRsaSha2_512 = 4;

class SshKey {
 public:
  struct FreePkey {
    void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  };
  using PkeyPtr = std::unique_ptr<EVP_PKEY, FreePkey>;

  SshKey(PkeyPtr pkey, std::string comment);

  // The public key blob as SSH writes it ("ssh-ed25519" + key, "ssh-rsa" + e + n).
  const std::string& public_blob() const { return blob_; }
  const std::string& comment() const { return comment_; }
  // An SSH signature blob (string algorithm, string signature) over `data`. RSA signs with
  // SHA-512 or SHA-256 when `flags` asks, else SHA-1 ("ssh-rsa"), as ssh-agent does.
  std::string sign(std::string_view data, uint32_t flags) const;

 private:
  PkeyPtr pkey_;
  std::string comment_;
  std::string blob_;
};

// The keys of an OpenSSH private key file's text. Throws Error(kUsage) naming `what` for an
// encrypted key (with what to do), an unsupported key type, or a malformed/truncated file.
std::vector<SshKey> parse_openssh_private_key(std::string_view text, const std::string& what);

// The keys of a file: OpenSSH format or PEM. Throws Error(kUsage|kNotFound) naming `path`.
std::vector<SshKey> load_ssh_key_file(const std::filesystem::path& path);

// True when `path` looks like a key file rather than an agent socket (a regular file).
bool is_ssh_key_file(const std::filesystem::path& path);

}  // namespace mybuild::builder::ssh
