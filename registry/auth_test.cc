#include "registry/auth.h"

#include <gtest/gtest.h>

#include "common/error.h"

namespace mybuild::registry {
namespace {

HttpResponse unauthorized(const std::string& url, const std::string& challenge) {
  HttpResponse r;
  r.status = 401;
  r.effective_url = url;
  r.headers.emplace("www-authenticate", challenge);
  return r;
}

// A registry reached over https that points its token realm at plain http would have us send
// the user's password (Basic to the token server) and get the token back in clear.
TEST(Authenticator, HttpRealmFromAnHttpsRegistryIsRefused) {
  Transport transport;
  Authenticator auth(transport, nullptr);
  auto r = unauthorized("https://reg.example:5000/v2/",
                        R"(Bearer realm="http://auth.example/token",service="reg")");
  try {
    auth.learn_challenge("reg.example:5000", r);
    FAIL() << "an http realm was accepted for an https registry";
  } catch (const common::Error& e) {
    EXPECT_EQ(e.kind(), common::ErrorKind::kAuth);
    EXPECT_NE(e.message().find("http://auth.example/token"), std::string::npos) << e.message();
    EXPECT_NE(e.message().find("reg.example:5000"), std::string::npos) << e.message();
    EXPECT_NE(e.message().find("in clear"), std::string::npos) << e.message();
  }
  EXPECT_FALSE(auth.knows("reg.example:5000"));
  // Upper case changes nothing.
  EXPECT_THROW(refuse_realm_downgrade("HTTPS://reg.example/v2/",
                                      {"bearer", {{"realm", "HTTP://auth.example/token"}}}),
               common::Error);
}

TEST(Authenticator, SameOrStrongerRealmSchemeIsAccepted) {
  Transport transport;
  Authenticator auth(transport, nullptr);
  EXPECT_TRUE(auth.learn_challenge(
      "a:1", unauthorized("https://a:1/v2/", R"(Bearer realm="https://auth/token")")));
  EXPECT_TRUE(auth.learn_challenge(
      "b:1", unauthorized("http://b:1/v2/", R"(Bearer realm="http://auth/token")")));
  EXPECT_TRUE(auth.learn_challenge(
      "c:1", unauthorized("http://c:1/v2/", R"(Bearer realm="https://auth/token")")));
  // Basic's realm is only a label, not a URL.
  EXPECT_TRUE(
      auth.learn_challenge("d:1", unauthorized("https://d:1/v2/", R"(Basic realm="http://x")")));
}

}  // namespace
}  // namespace mybuild::registry
