// The libgit2 functions git contexts call, resolved from libgit2.so.1.5 on first use instead of
// linked: a build without a git context does not map libgit2 and what it pulls in (mbedtls,
// http-parser, ssh2...; common/shared_library.h, issue 17). Each member has the type <git2.h>
// declares, so calls are checked as if they were direct:
//
//   const GitApi& git = git_api();
//   git.repository_init(&repo, dir.c_str(), 0);
//
// The soname is the one the headers belong to (Debian 12's libgit2-1.5); a libgit2 of another
// ABI is another soname, so it cannot be picked up by mistake.
#pragma once

#include <git2.h>

namespace mybuild::builder {

struct GitApi {
  decltype(&::git_buf_dispose) buf_dispose = nullptr;
  decltype(&::git_checkout_tree) checkout_tree = nullptr;
  decltype(&::git_credential_ssh_custom_new) credential_ssh_custom_new = nullptr;
  decltype(&::git_credential_username_new) credential_username_new = nullptr;
  decltype(&::git_credential_userpass_plaintext_new) credential_userpass_plaintext_new = nullptr;
  decltype(&::git_error_last) error_last = nullptr;
  decltype(&::git_error_set_str) error_set_str = nullptr;
  decltype(&::git_libgit2_init) libgit2_init = nullptr;
  decltype(&::git_libgit2_opts) libgit2_opts = nullptr;
  decltype(&::git_libgit2_shutdown) libgit2_shutdown = nullptr;
  decltype(&::git_object_free) object_free = nullptr;
  decltype(&::git_object_id) object_id = nullptr;
  decltype(&::git_object_peel) object_peel = nullptr;
  decltype(&::git_oid_tostr) oid_tostr = nullptr;
  decltype(&::git_remote_connect) remote_connect = nullptr;
  decltype(&::git_remote_create) remote_create = nullptr;
  decltype(&::git_remote_disconnect) remote_disconnect = nullptr;
  decltype(&::git_remote_fetch) remote_fetch = nullptr;
  decltype(&::git_remote_free) remote_free = nullptr;
  decltype(&::git_remote_ls) remote_ls = nullptr;
  decltype(&::git_repository_free) repository_free = nullptr;
  decltype(&::git_repository_init) repository_init = nullptr;
  decltype(&::git_repository_set_head) repository_set_head = nullptr;
  decltype(&::git_repository_set_head_detached) repository_set_head_detached = nullptr;
  decltype(&::git_repository_workdir) repository_workdir = nullptr;
  decltype(&::git_revparse_single) revparse_single = nullptr;
  decltype(&::git_submodule_foreach) submodule_foreach = nullptr;
  decltype(&::git_submodule_free) submodule_free = nullptr;
  decltype(&::git_submodule_lookup) submodule_lookup = nullptr;
  decltype(&::git_submodule_open) submodule_open = nullptr;
  decltype(&::git_submodule_resolve_url) submodule_resolve_url = nullptr;
  decltype(&::git_submodule_update) submodule_update = nullptr;
  decltype(&::git_submodule_url) submodule_url = nullptr;
};

// Opens libgit2.so.1.5 and resolves the table once. Throws Error(kResource) naming the library
// (and the Debian package libgit2-1.5) when it is missing.
const GitApi& git_api();

}  // namespace mybuild::builder
