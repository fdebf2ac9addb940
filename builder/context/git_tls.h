// Which CAs libgit2 trusts for an https git remote. Debian's libgit2 uses mbedTLS, which reads
// only its built-in bundle (/etc/ssl/certs/ca-certificates.crt) and ignores SSL_CERT_FILE; so
// mybuild gives it the same trust the registry client has: the system bundle (or
// $SSL_CERT_FILE, as OpenSSL and curl honour it) plus the *.crt files of the remote's
// host[:port] in Docker's certs.d directories (registry/http.h default_certs_dirs()).
#pragma once

#include <string_view>

namespace mybuild::builder {

// Sets libgit2's (process-wide) CA locations for `remote`; nothing when the remote is not https
// or nothing adds to the default. Call with libgit2 initialised. Throws kResource when the
// bundle cannot be written or libgit2 refuses it.
void trust_git_remote_cas(std::string_view remote);

}  // namespace mybuild::builder
