#include "builder/ssh/key.h"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <sys/stat.h>

#include <fstream>
#include <iterator>

#include "builder/ssh/wire.h"
#include "common/error.h"

namespace mybuild::builder::ssh {

using common::Error;
using common::ErrorKind;

namespace {

std::string rsa_param_bytes(EVP_PKEY* key, const char* name) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(key, name, &bn) != 1) {
    throw Error(ErrorKind::kInternal, std::string("EVP_PKEY_get_bn_param ") + name + ": failed");
  }
  std::string out(static_cast<size_t>(BN_num_bytes(bn)), '\0');
  BN_bn2bin(bn, reinterpret_cast<unsigned char*>(out.data()));
  BN_free(bn);
  return out;
}

std::string public_blob_of(EVP_PKEY* key) {
  std::string blob;
  if (EVP_PKEY_get_base_id(key) == EVP_PKEY_ED25519) {
    unsigned char pub[32];
    size_t len = sizeof pub;
    if (EVP_PKEY_get_raw_public_key(key, pub, &len) != 1 || len != sizeof pub) {
      throw Error(ErrorKind::kInternal, "EVP_PKEY_get_raw_public_key: failed");
    }
    put_string(blob, "ssh-ed25519");
    put_string(blob, std::string_view(reinterpret_cast<const char*>(pub), len));
    return blob;
  }
  if (EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA) {
    put_string(blob, "ssh-rsa");
    put_mpint(blob, rsa_param_bytes(key, OSSL_PKEY_PARAM_RSA_E));
    put_mpint(blob, rsa_param_bytes(key, OSSL_PKEY_PARAM_RSA_N));
    return blob;
  }
  throw Error(ErrorKind::kUsage, "key type not supported by mybuild's agent (ed25519, RSA are)");
}

// PEM: OpenSSL reads it; a passphrase callback that gives nothing makes an encrypted key fail.
int no_passphrase(char*, int, int, void* asked) {
  *static_cast<bool*>(asked) = true;
  return 0;
}

std::vector<SshKey> load_pem_key(const std::string& text, const std::string& what) {
  std::unique_ptr<BIO, void (*)(BIO*)> bio(
      BIO_new_mem_buf(text.data(), static_cast<int>(text.size())), BIO_free_all);
  bool asked = false;
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, &asked);
  ERR_clear_error();
  if (key == nullptr) {
    throw Error(ErrorKind::kUsage,
                what + (asked ? ": the key is encrypted; add it to an ssh-agent and pass "
                                "--ssh ID=$SSH_AUTH_SOCK, or use an unencrypted key"
                              : ": not a private key OpenSSH or OpenSSL can read"));
  }
  std::vector<SshKey> keys;
  keys.emplace_back(SshKey::PkeyPtr(key), "");
  return keys;
}

}  // namespace

SshKey::SshKey(PkeyPtr pkey, std::string comment)
    : pkey_(std::move(pkey)), comment_(std::move(comment)), blob_(public_blob_of(pkey_.get())) {}

std::string SshKey::sign(std::string_view data, uint32_t flags) const {
  std::string algorithm = "ssh-ed25519";
  const EVP_MD* md = nullptr;  // ed25519 hashes inside the signature scheme
  if (EVP_PKEY_get_base_id(pkey_.get()) == EVP_PKEY_RSA) {
    algorithm = (flags & kAgentRsaSha2_512)   ? "rsa-sha2-512"
                : (flags & kAgentRsaSha2_256) ? "rsa-sha2-256"
                                              : "ssh-rsa";
    md = (flags & kAgentRsaSha2_512)   ? EVP_sha512()
         : (flags & kAgentRsaSha2_256) ? EVP_sha256()
                                       : EVP_sha1();
  }
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  size_t len = 0;
  const auto* in = reinterpret_cast<const unsigned char*>(data.data());
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, md, nullptr, pkey_.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len, in, data.size()) != 1) {
    throw Error(ErrorKind::kInternal, "EVP_DigestSign (" + algorithm + "): failed");
  }
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, in,
                     data.size()) != 1) {
    throw Error(ErrorKind::kInternal, "EVP_DigestSign (" + algorithm + "): failed");
  }
  sig.resize(len);
  std::string blob;
  put_string(blob, algorithm);
  put_string(blob, sig);
  return blob;
}

std::vector<SshKey> load_ssh_key_file(const std::filesystem::path& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw Error(ErrorKind::kNotFound, "--ssh key " + path.string() + ": cannot read it");
  std::string text(std::istreambuf_iterator<char>(file), {});
  if (text.size() > (1 << 20)) {
    throw Error(ErrorKind::kUsage, "--ssh key " + path.string() + ": too large for a key file");
  }
  const std::string what = "--ssh key " + path.string();
  if (text.find("-----BEGIN OPENSSH PRIVATE KEY-----") != std::string::npos) {
    return parse_openssh_private_key(text, what);
  }
  return load_pem_key(text, what);
}

bool is_ssh_key_file(const std::filesystem::path& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

}  // namespace mybuild::builder::ssh
