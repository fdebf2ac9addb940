// Key parsing and signing of mybuild's own ssh agent, on keys made once with ssh-keygen 9.2 and
// openssl genpkey (test keys, used nowhere else): OpenSSH ed25519 and RSA, PEM ed25519, and the
// inputs it must refuse with an error naming the file (encrypted, ECDSA, truncated, corrupt).
#include "builder/ssh/key.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include "builder/ssh/test_keys.h"
#include "builder/ssh/wire.h"
#include "common/base64.h"
#include "common/error.h"

namespace mybuild::builder::ssh {
namespace {

constexpr const char* kEd25519Pub =
    "AAAAC3NzaC1lZDI1NTE5AAAAIP/jg0hh37j6a2GQiYrx9NIIKMtNaWSiVY8t43AmDLId";
constexpr const char* kRsaKey = R"(-----BEGIN OPENSSH PRIVATE KEY-----
b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAlwAAAAdzc2gtcn
NhAAAAAwEAAQAAAIEApHuAliLxEX5HDjgKlJBUBDEUrjN3Pugmq/bq8wsVajkbS5PkovAI
btTRRT7j+lDuWsv3aK8g+b4/EzG5/bSwjpYuqbm/RRHhXN6ZUxAfBt1njLtrJ1fYUWRmt+
BOlw+WfWSlaUB2JCgMNrOnXX0ALzrJqBkKCEpPm4mxvs435Q0AAAIAqZPQ0KmT0NAAAAAH
c3NoLXJzYQAAAIEApHuAliLxEX5HDjgKlJBUBDEUrjN3Pugmq/bq8wsVajkbS5PkovAIbt
TRRT7j+lDuWsv3aK8g+b4/EzG5/bSwjpYuqbm/RRHhXN6ZUxAfBt1njLtrJ1fYUWRmt+BO
lw+WfWSlaUB2JCgMNrOnXX0ALzrJqBkKCEpPm4mxvs435Q0AAAADAQABAAAAgFMAG3gns7
xfG54aO4SSfEMNPWFWiTMOVQ1r8U2p5ymOHa76t2Jde/Ppopytyr8y/cSFrph930cHcK7P
5goXlwvdU6+KIMpOuFuZi3ljN3Nj3WBlaQbPjwCxtKXYFL6CGQUczoJmFkJ3n4j8r5uX8A
09sOdqLqz+fTIHnk/7fBJhAAAAQB8nsYVDsRp0xtdP44gnD0aZMsOALchI9sFmf88Jzj6g
e+uGtL/I1+FjVtLFHeiHYlKHuhh5hsjCUUl2ZnmVVGsAAABBANoVQSNSstcU5ssVgS7FY/
UaNeESuQp7XPHYANz6UcWr6h3PWB+pGlyHPvq2hnoUpSPbcLWcUndwL5TW697uV+kAAABB
AMEUhG7hhIY4l3ioP8fQaInXaXypWk2I6910+tVT/MffW2ls8ZBTt9+tPydoKAIYNAE5T2
phE2EUaXsWYr1H0YUAAAAIdGVzdC1yc2EBAgM=
-----END OPENSSH PRIVATE KEY-----
)";
constexpr const char* kRsaPub =
    "AAAAB3NzaC1yc2EAAAADAQABAAAAgQCke4CWIvERfkcOOAqUkFQEMRSuM3c+6Car9urzCxVqORtLk+"
    "Si8Ahu1NFFPuP6UO5ay/"
    "doryD5vj8TMbn9tLCOli6pub9FEeFc3plTEB8G3WeMu2snV9hRZGa34E6XD5Z9ZKVpQHYkKAw2s6ddfQAvOsmoGQoISk+"
    "bibG+zjflDQ==";
constexpr const char* kEncryptedKey = R"(-----BEGIN OPENSSH PRIVATE KEY-----
b3BlbnNzaC1rZXktdjEAAAAACmFlczI1Ni1jdHIAAAAGYmNyeXB0AAAAGAAAABCmRVuz+9
KfX3iexmXOtw7+AAAAEAAAAAEAAAAzAAAAC3NzaC1lZDI1NTE5AAAAINviIIu6OlKO+Lrw
6Ibr3Bm1qNw2MxSfBzab3A4ah12gAAAAkBZ9lLSW1omafPCSVQxna0EKPIHRxKb97ickZ7
LjdNAW6rN8J+nk6FiYUuXkQyWtGmf8DrIcvAVVxQ/exsD03WberxovNZjhPyiu6UuskTsM
zMkEFDpMuvfmoQLaB8PZeT+xncZMgFzo8JfkTeaHSc0tnbjxgChkjImZqPs4IJ7mhovGqc
XakvICwtG2L94f4A==
-----END OPENSSH PRIVATE KEY-----
)";
constexpr const char* kEcdsaKey = R"(-----BEGIN OPENSSH PRIVATE KEY-----
b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAaAAAABNlY2RzYS
1zaGEyLW5pc3RwMjU2AAAACG5pc3RwMjU2AAAAQQQXRnATonQRcfSGd9P7J22n88K0vTeA
3FOK7+IbExFfG1ld7DUIuiAv8wb03+KHa/nbRLhEwM/D0WqcXsPCrGzzAAAAoEaI/DVGiP
w1AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBBdGcBOidBFx9IZ3
0/snbafzwrS9N4DcU4rv4hsTEV8bWV3sNQi6IC/zBvTf4odr+dtEuETAz8PRapxew8KsbP
MAAAAhAJ0xELNCmFr3jxItZZ3utMK9VMz67AplEzxSVXKrxnnHAAAAAmVjAQIDBAU=
-----END OPENSSH PRIVATE KEY-----
)";
constexpr const char* kPemEd25519 = R"(-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIPGa2Dt4QVpdi3bkXeKSQu3oH0pWHFbSatO5CsawcWGu
-----END PRIVATE KEY-----
)";

std::string usage_error_of(std::string_view text) {
  try {
    parse_openssh_private_key(text, "key file /k");
  } catch (const common::Error& e) {
    EXPECT_EQ(e.kind(), common::ErrorKind::kUsage);
    return e.what();
  }
  ADD_FAILURE() << "accepted";
  return "";
}

// Verifies an SSH signature blob over `data` with the public key blob, through OpenSSL.
bool verifies(const std::string& pub_blob, const std::string& sig_blob, std::string_view data,
              const char* want_algorithm) {
  WireReader sig(sig_blob, "sig");
  if (sig.string() != want_algorithm) return false;
  std::string_view raw = sig.string();
  WireReader pub(pub_blob, "pub");
  std::string type(pub.string());
  EVP_PKEY* key = nullptr;
  const EVP_MD* md = nullptr;
  if (type == "ssh-ed25519") {
    std::string_view k = pub.string();
    key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                      reinterpret_cast<const unsigned char*>(k.data()), k.size());
  } else {
    return false;  // RSA is checked by an ssh server in tests/build/ssh_test.cc
  }
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok = EVP_DigestVerifyInit(ctx, nullptr, md, nullptr, key) == 1 &&
            EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(raw.data()), raw.size(),
                             reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(key);
  return ok;
}

TEST(SshKey, OpensshEd25519ParsesAndSigns) {
  auto keys = parse_openssh_private_key(kTestEd25519Key, "k");
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys[0].public_blob(), *common::base64_decode(kEd25519Pub));
  EXPECT_EQ(keys[0].comment(), "test-ed25519");
  std::string sig = keys[0].sign("challenge", 0);
  EXPECT_TRUE(verifies(keys[0].public_blob(), sig, "challenge", "ssh-ed25519"));
  EXPECT_FALSE(verifies(keys[0].public_blob(), sig, "challengf", "ssh-ed25519"));
}

TEST(SshKey, OpensshRsaParsesAndSignsWithTheAskedHash) {
  auto keys = parse_openssh_private_key(kRsaKey, "k");
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys[0].public_blob(), *common::base64_decode(kRsaPub));
  EXPECT_EQ(keys[0].comment(), "test-rsa");
  for (auto [flags, name] : {std::pair<uint32_t, const char*>{0, "ssh-rsa"},
                             {kAgentRsaSha2_256, "rsa-sha2-256"},
                             {kAgentRsaSha2_512, "rsa-sha2-512"}}) {
    const std::string blob = keys[0].sign("data", flags);
    WireReader sig(blob, "sig");
    EXPECT_EQ(sig.string(), name);
    EXPECT_EQ(sig.string().size(), 128u);  // a 1024-bit modulus
  }
}

TEST(SshKey, PemKeyLoadsThroughOpenssl) {
  const std::string path = ::testing::TempDir() + "/mybuild_pem_ed25519";
  FILE* f = std::fopen(path.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fputs(kPemEd25519, f);
  std::fclose(f);
  EXPECT_TRUE(is_ssh_key_file(path));
  auto keys = load_ssh_key_file(path);
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_TRUE(verifies(keys[0].public_blob(), keys[0].sign("x", 0), "x", "ssh-ed25519"));
  std::remove(path.c_str());
}

TEST(SshKey, EncryptedKeyIsAClearError) {
  std::string e = usage_error_of(kEncryptedKey);
  EXPECT_NE(e.find("key file /k"), std::string::npos) << e;
  EXPECT_NE(e.find("encrypted"), std::string::npos) << e;
  EXPECT_NE(e.find("ssh-agent"), std::string::npos) << e;
}

TEST(SshKey, UnsupportedTypeNamesIt) {
  std::string e = usage_error_of(kEcdsaKey);
  EXPECT_NE(e.find("ecdsa-sha2-nistp256"), std::string::npos) << e;
}

TEST(SshKey, TruncatedAndCorruptInputsAreErrors) {
  const std::string key = kTestEd25519Key;
  // Cut the base64 at every 4-character boundary: every prefix must be refused, never read past.
  const size_t body = key.find('\n') + 1, end = key.find("-----END");
  for (size_t cut = body; cut + 4 < end; cut += 4) {
    std::string lines = key.substr(body, cut - body);
    std::string b64;
    for (char c : lines)
      if (c != '\n') b64 += c;
    b64.resize(b64.size() / 4 * 4);
    std::string text =
        "-----BEGIN OPENSSH PRIVATE KEY-----\n" + b64 + "\n-----END OPENSSH PRIVATE KEY-----\n";
    usage_error_of(text);
  }
  usage_error_of("not a key");
  usage_error_of("-----BEGIN OPENSSH PRIVATE KEY-----\n!!!!\n-----END OPENSSH PRIVATE KEY-----\n");
  // A flipped check byte: the two check integers differ.
  std::string raw = *common::base64_decode([&] {
    std::string b64;
    for (char c : key.substr(body, end - body))
      if (c != '\n') b64 += c;
    return b64;
  }());
  const size_t check = raw.size() - 0x90 + 4;  // inside the private section's first check int
  raw[check] ^= 1;
  std::string e =
      usage_error_of("-----BEGIN OPENSSH PRIVATE KEY-----\n" + common::base64_encode(raw) +
                     "\n-----END OPENSSH PRIVATE KEY-----");
  EXPECT_NE(e.find("check"), std::string::npos) << e;
}

TEST(SshKey, MissingFileNamesIt) {
  try {
    load_ssh_key_file("/nonexistent/id_ed25519");
    ADD_FAILURE();
  } catch (const common::Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/id_ed25519"), std::string::npos);
  }
}

}  // namespace
}  // namespace mybuild::builder::ssh
