// Test keys for builder/ssh's unit tests, made once with ssh-keygen 9.2 and used nowhere else.
#pragma once

namespace mybuild::builder::ssh {

// ed25519, unencrypted, comment "test-ed25519".
inline constexpr const char* kTestEd25519Key = R"(-----BEGIN OPENSSH PRIVATE KEY-----
b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW
QyNTUxOQAAACD/44NIYd+4+mthkImK8fTSCCjLTWlkolWPLeNwJgyyHQAAAJB5sViPebFY
jwAAAAtzc2gtZWQyNTUxOQAAACD/44NIYd+4+mthkImK8fTSCCjLTWlkolWPLeNwJgyyHQ
AAAECqE1lvl34ZUh+vnaghx233QCbvh/1SuSzYv2ih+XvRH//jg0hh37j6a2GQiYrx9NII
KMtNaWSiVY8t43AmDLIdAAAADHRlc3QtZWQyNTUxOQE=
-----END OPENSSH PRIVATE KEY-----
)";

}  // namespace mybuild::builder::ssh
