// The openssh-key-v1 private key format (OpenSSH's PROTOCOL.key), read by hand: OpenSSL and
// libssh2 do not expose a parser for it, and the format is small:
//
//   "openssh-key-v1\0"  string ciphername  string kdfname  string kdfoptions  uint32 N
//   string publickey[N]  string private-section
//   private-section: uint32 check1, uint32 check2 (equal when decrypted), then per key
//     string type, the type's private fields, string comment; then padding 1, 2, 3, ...
//
// Only "none" ciphers are read: an encrypted key needs its passphrase, which a build has no
// way to ask for (an agent with the key added is the way, as with BuildKit).
#include <openssl/core_names.h>
#include <openssl/param_build.h>

#include "builder/ssh/key.h"
#include "builder/ssh/wire.h"
#include "common/base64.h"
#include "common/error.h"

namespace mybuild::builder::ssh {

using common::Error;
using common::ErrorKind;

namespace {

constexpr std::string_view kOpensshBegin = "-----BEGIN OPENSSH PRIVATE KEY-----";
constexpr std::string_view kOpensshEnd = "-----END OPENSSH PRIVATE KEY-----";
constexpr std::string_view kOpensshMagic{"openssh-key-v1\0", 15};

struct FreeBn {
  void operator()(BIGNUM* b) const { BN_clear_free(b); }
};
using BnPtr = std::unique_ptr<BIGNUM, FreeBn>;

BnPtr openssh_bn(WireReader& r) {
  std::string_view v = r.string();
  BIGNUM* bn = BN_bin2bn(reinterpret_cast<const unsigned char*>(v.data()),
                         static_cast<int>(v.size()), nullptr);
  if (bn == nullptr) r.fail("bad RSA number");
  return BnPtr(bn);
}

SshKey::PkeyPtr openssh_ed25519(WireReader& r) {
  std::string_view pub = r.string();
  std::string_view priv = r.string();  // seed (32) then the public key (32)
  if (pub.size() != 32 || priv.size() != 64) r.fail("bad ed25519 key lengths");
  EVP_PKEY* key = EVP_PKEY_new_raw_private_key(
      EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(priv.data()), 32);
  if (key == nullptr) r.fail("OpenSSL refused the ed25519 key");
  return SshKey::PkeyPtr(key);
}

// OpenSSH stores n, e, d, iqmp, p, q; OpenSSL wants the CRT exponents too: d mod (p-1), (q-1).
SshKey::PkeyPtr openssh_rsa(WireReader& r) {
  BnPtr n = openssh_bn(r), e = openssh_bn(r), d = openssh_bn(r);
  BnPtr iqmp = openssh_bn(r), p = openssh_bn(r), q = openssh_bn(r);
  BnPtr dmp1(BN_new()), dmq1(BN_new()), p1(BN_dup(p.get())), q1(BN_dup(q.get()));
  std::unique_ptr<BN_CTX, void (*)(BN_CTX*)> ctx(BN_CTX_new(), BN_CTX_free);
  bool ok = dmp1 && dmq1 && p1 && q1 && ctx && BN_sub_word(p1.get(), 1) &&
            BN_sub_word(q1.get(), 1) && BN_mod(dmp1.get(), d.get(), p1.get(), ctx.get()) &&
            BN_mod(dmq1.get(), d.get(), q1.get(), ctx.get());
  std::unique_ptr<OSSL_PARAM_BLD, void (*)(OSSL_PARAM_BLD*)> bld(OSSL_PARAM_BLD_new(),
                                                                 OSSL_PARAM_BLD_free);
  ok = ok && bld && OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, n.get()) &&
       OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, e.get()) &&
       OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_D, d.get()) &&
       OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_FACTOR1, p.get()) &&
       OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_FACTOR2, q.get()) &&
       OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_EXPONENT1, dmp1.get()) &&
       OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_EXPONENT2, dmq1.get()) &&
       OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_COEFFICIENT1, iqmp.get());
  OSSL_PARAM* params = ok ? OSSL_PARAM_BLD_to_param(bld.get()) : nullptr;
  std::unique_ptr<EVP_PKEY_CTX, void (*)(EVP_PKEY_CTX*)> pctx(
      EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr), EVP_PKEY_CTX_free);
  EVP_PKEY* key = nullptr;
  ok = params != nullptr && pctx && EVP_PKEY_fromdata_init(pctx.get()) > 0 &&
       EVP_PKEY_fromdata(pctx.get(), &key, EVP_PKEY_KEYPAIR, params) > 0;
  OSSL_PARAM_free(params);
  if (!ok) r.fail("OpenSSL refused the RSA key");
  return SshKey::PkeyPtr(key);
}

std::string openssh_body(std::string_view text, const std::string& what) {
  const size_t begin = text.find(kOpensshBegin);
  const size_t end = text.find(kOpensshEnd);
  if (begin == std::string_view::npos || end == std::string_view::npos || end < begin) {
    throw Error(ErrorKind::kUsage, what + ": not an OpenSSH private key (no BEGIN/END lines)");
  }
  std::string b64;
  for (char c : text.substr(begin + kOpensshBegin.size(), end - begin - kOpensshBegin.size())) {
    if (c != '\n' && c != '\r' && c != ' ' && c != '\t') b64 += c;
  }
  std::optional<std::string> raw = common::base64_decode(b64);
  if (!raw) throw Error(ErrorKind::kUsage, what + ": the OpenSSH private key is not base64");
  return *raw;
}

SshKey openssh_private_entry(WireReader& priv) {
  std::string type(priv.string());
  SshKey::PkeyPtr key;
  if (type == "ssh-ed25519") {
    key = openssh_ed25519(priv);
  } else if (type == "ssh-rsa") {
    key = openssh_rsa(priv);
  } else {
    priv.fail("key type " + type + " is not supported by mybuild's agent (ed25519, RSA are)");
  }
  std::string comment(priv.string());
  return SshKey(std::move(key), std::move(comment));
}

}  // namespace

std::vector<SshKey> parse_openssh_private_key(std::string_view text, const std::string& what) {
  const std::string raw = openssh_body(text, what);
  WireReader r(raw, what);
  if (r.raw(kOpensshMagic.size()) != kOpensshMagic) r.fail("not an openssh-key-v1 key");
  const std::string_view cipher = r.string();
  r.string();  // kdfname
  r.string();  // kdfoptions
  if (cipher != "none") {
    r.fail("the key is encrypted (cipher " + std::string(cipher) +
           "); add it to an ssh-agent and pass --ssh ID=$SSH_AUTH_SOCK, or use an unencrypted key");
  }
  const uint32_t count = r.u32();
  if (count == 0 || count > 16) r.fail("bad key count " + std::to_string(count));
  for (uint32_t i = 0; i < count; ++i) r.string();  // public keys: derived again from the private
  WireReader priv(r.string(), what);
  if (priv.u32() != priv.u32()) r.fail("check bytes differ (a corrupt or encrypted key)");
  std::vector<SshKey> keys;
  for (uint32_t i = 0; i < count; ++i) keys.push_back(openssh_private_entry(priv));
  for (uint8_t expected = 1; !priv.empty(); ++expected) {
    if (priv.byte() != expected) r.fail("bad padding after the keys");
  }
  return keys;
}

}  // namespace mybuild::builder::ssh
