#include "builder/context/git_api.h"

#include "common/shared_library.h"

namespace mybuild::builder {
namespace {

GitApi load_git_api() {
  static common::SharedLibrary lib("libgit2.so.1.5", "a git build context", "libgit2-1.5");
  GitApi api;
  lib.bind(api.buf_dispose, "git_buf_dispose");
  lib.bind(api.checkout_tree, "git_checkout_tree");
  lib.bind(api.credential_ssh_custom_new, "git_credential_ssh_custom_new");
  lib.bind(api.credential_username_new, "git_credential_username_new");
  lib.bind(api.credential_userpass_plaintext_new, "git_credential_userpass_plaintext_new");
  lib.bind(api.error_last, "git_error_last");
  lib.bind(api.error_set_str, "git_error_set_str");
  lib.bind(api.libgit2_init, "git_libgit2_init");
  lib.bind(api.libgit2_opts, "git_libgit2_opts");
  lib.bind(api.libgit2_shutdown, "git_libgit2_shutdown");
  lib.bind(api.object_free, "git_object_free");
  lib.bind(api.object_id, "git_object_id");
  lib.bind(api.object_peel, "git_object_peel");
  lib.bind(api.oid_tostr, "git_oid_tostr");
  lib.bind(api.remote_connect, "git_remote_connect");
  lib.bind(api.remote_create, "git_remote_create");
  lib.bind(api.remote_disconnect, "git_remote_disconnect");
  lib.bind(api.remote_fetch, "git_remote_fetch");
  lib.bind(api.remote_free, "git_remote_free");
  lib.bind(api.remote_ls, "git_remote_ls");
  lib.bind(api.repository_free, "git_repository_free");
  lib.bind(api.repository_init, "git_repository_init");
  lib.bind(api.repository_set_head, "git_repository_set_head");
  lib.bind(api.repository_set_head_detached, "git_repository_set_head_detached");
  lib.bind(api.repository_workdir, "git_repository_workdir");
  lib.bind(api.revparse_single, "git_revparse_single");
  lib.bind(api.submodule_foreach, "git_submodule_foreach");
  lib.bind(api.submodule_free, "git_submodule_free");
  lib.bind(api.submodule_lookup, "git_submodule_lookup");
  lib.bind(api.submodule_open, "git_submodule_open");
  lib.bind(api.submodule_resolve_url, "git_submodule_resolve_url");
  lib.bind(api.submodule_update, "git_submodule_update");
  lib.bind(api.submodule_url, "git_submodule_url");
  return api;
}

}  // namespace

const GitApi& git_api() {
  // Initialised once and thread-safe; a failure leaves it uninitialised, so every caller gets
  // the same error instead of a half-filled table.
  static const GitApi api = load_git_api();
  return api;
}

}  // namespace mybuild::builder
