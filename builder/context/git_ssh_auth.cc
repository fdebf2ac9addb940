#include "builder/context/git_ssh_auth.h"

#include <cstdlib>
#include <cstring>

#include "builder/context/git_api.h"
#include "builder/ssh/key.h"
#include "builder/ssh/wire.h"
#include "common/error.h"

namespace mybuild::builder {

namespace {

// libgit2's sign callback: `*abstract` is the SshSigner. libssh2 wants the bare signature (it
// writes the algorithm itself) in memory its default allocator frees (malloc).
int git_ssh_sign(LIBSSH2_SESSION*, unsigned char** sig, size_t* sig_len, const unsigned char* data,
                 size_t data_len, void** abstract) {
  const auto* signer = static_cast<const ssh::SshSigner*>(*abstract);
  try {
    std::string_view in(reinterpret_cast<const char*>(data), data_len);
    std::optional<std::string> algorithm = userauth_algorithm(in);
    uint32_t flags = 0;
    if (algorithm == "rsa-sha2-256") flags = ssh::kAgentRsaSha2_256;
    if (algorithm == "rsa-sha2-512") flags = ssh::kAgentRsaSha2_512;
    const std::string blob = signer->sign(in, flags);
    ssh::WireReader r(blob, "ssh signature");
    r.string();  // the algorithm, which libssh2 writes itself
    std::string_view bare = r.string();
    *sig = static_cast<unsigned char*>(std::malloc(bare.size()));
    if (*sig == nullptr) return -1;
    std::memcpy(*sig, bare.data(), bare.size());
    *sig_len = bare.size();
    return 0;
  } catch (const std::exception& e) {
    git_api().error_set_str(GIT_ERROR_SSH, e.what());  // libssh2 fails the login; the message stays
    return -1;
  }
}

}  // namespace

std::optional<std::string> userauth_algorithm(std::string_view data) {
  try {
    ssh::WireReader r(data, "ssh userauth request");
    r.string();                               // session id
    if (r.byte() != 50) return std::nullopt;  // SSH_MSG_USERAUTH_REQUEST
    r.string();                               // user
    r.string();                               // service
    if (r.string() != "publickey") return std::nullopt;
    r.byte();
    return std::string(r.string());
  } catch (const common::Error&) {
    return std::nullopt;  // not a userauth request: sign as asked, without flags
  }
}

int GitSshAuth::credential(git_credential** out, const char* username_from_url,
                           unsigned int allowed_types) {
  if ((allowed_types & GIT_CREDENTIAL_SSH_CUSTOM) != 0) return next_key(out, username_from_url);
  if ((allowed_types & GIT_CREDENTIAL_USERNAME) != 0) {
    return git_api().credential_username_new(out, "git");  // BuildKit's user for ssh://host/repo
  }
  return GIT_PASSTHROUGH;
}

int GitSshAuth::next_key(git_credential** out, const char* username) {
  if (default_paths_ == nullptr) {
    git_api().error_set_str(GIT_ERROR_SSH,
                            "the server wants an ssh key: pass --ssh default=$SSH_AUTH_SOCK or "
                            "--ssh default=KEYFILE");
    return -1;
  }
  try {
    if (!signers_) signers_ = ssh::signers_of(ssh::open_agent_source("default", *default_paths_));
  } catch (const std::exception& e) {
    git_api().error_set_str(GIT_ERROR_SSH, e.what());
    return -1;
  }
  if (next_ >= signers_->size()) {
    bool rsa = false;
    for (const auto& s : *signers_) rsa = rsa || s.blob.substr(4, 7) == "ssh-rsa";
    // libssh2 1.10 (Debian 12) signs RSA user authentication with SHA-1 ("ssh-rsa") only, for
    // its own key files too; OpenSSH >= 8.8 refuses that by default.
    const std::string hint = rsa ? "; RSA keys are offered as ssh-rsa (SHA-1) by libssh2 1.10, "
                                   "which OpenSSH 8.8 and later refuse: use an ed25519 key"
                                 : "";
    git_api().error_set_str(GIT_ERROR_SSH,
                            ("authentication refused: the server refused every key of "
                             "--ssh default (" +
                             std::to_string(signers_->size()) + " tried)" + hint)
                                .c_str());
    return -1;
  }
  const ssh::SshSigner& signer = (*signers_)[next_++];
  return git_api().credential_ssh_custom_new(out, username != nullptr ? username : "git",
                                             signer.blob.data(), signer.blob.size(), git_ssh_sign,
                                             const_cast<ssh::SshSigner*>(&signer));
}

int GitSshAuth::certificate_check(git_cert* cert, int valid) {
  if (cert->cert_type != GIT_CERT_HOSTKEY_LIBSSH2) return GIT_PASSTHROUGH;  // TLS: libgit2's
  next_ = 0;
  (void)valid;  // an unknown host key is accepted, as BuildKit does without known hosts
  return 0;
}

}  // namespace mybuild::builder
