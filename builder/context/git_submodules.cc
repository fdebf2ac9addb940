#include "builder/context/git_submodules.h"

#include <memory>
#include <vector>

#include "builder/context/git_api.h"
#include "common/error.h"

namespace mybuild::builder {
namespace {

using common::Error;
using common::ErrorKind;

struct SubmoduleFree {
  void operator()(git_submodule* s) const { git_api().submodule_free(s); }
};
struct SubmoduleRepoFree {
  void operator()(git_repository* r) const { git_api().repository_free(r); }
};

[[noreturn]] void submodule_failed(const GitSource& src, const std::string& what) {
  const git_error* e = git_api().error_last();
  throw Error(ErrorKind::kNetwork, "git context " + src.text + ": " + what + ": " +
                                       (e != nullptr && e->message ? e->message : "failed"));
}

int collect_submodule_name(git_submodule*, const char* name, void* payload) {
  static_cast<std::vector<std::string>*>(payload)->emplace_back(name);
  return 0;
}

// The URL .gitmodules gives, made absolute against the parent's origin ("../lib.git").
std::string submodule_url(git_repository* repo, git_submodule* sm) {
  const char* given = git_api().submodule_url(sm);
  if (given == nullptr) return "";
  git_buf buf = GIT_BUF_INIT;
  std::string url = given;
  if (git_api().submodule_resolve_url(&buf, repo, given) == 0) url = buf.ptr;
  git_api().buf_dispose(&buf);
  return url;
}

void update_submodules_at(git_repository* repo, const GitSource& src,
                          const common::CancelToken& cancel,
                          const SubmoduleFetchOptions& fetch_options, int depth) {
  if (depth > kMaxSubmoduleDepth) {
    throw Error(ErrorKind::kIntegrity, "git context " + src.text +
                                           ": submodules nested deeper than " +
                                           std::to_string(kMaxSubmoduleDepth) + " levels");
  }
  std::vector<std::string> names;
  if (git_api().submodule_foreach(repo, collect_submodule_name, &names) < 0) {
    submodule_failed(src, "listing submodules");
  }
  for (const std::string& name : names) {
    git_submodule* raw = nullptr;
    if (git_api().submodule_lookup(&raw, repo, name.c_str()) < 0) {
      submodule_failed(src, "submodule " + name);
    }
    std::unique_ptr<git_submodule, SubmoduleFree> sm(raw);
    const std::string url = submodule_url(repo, sm.get());
    if (!submodule_url_allowed(url)) {
      throw Error(ErrorKind::kIntegrity, "git context " + src.text + ": submodule " + name +
                                             " has URL \"" + url +
                                             "\"; only network URLs are fetched for submodules");
    }
    git_submodule_update_options opts = GIT_SUBMODULE_UPDATE_OPTIONS_INIT;
    opts.fetch_opts = fetch_options(url);
    opts.checkout_opts.checkout_strategy = GIT_CHECKOUT_FORCE;
    const int rc = git_api().submodule_update(sm.get(), 1, &opts);
    if (rc == GIT_EUSER) cancel.check("fetching submodule " + name + " of " + src.text);
    if (rc < 0) submodule_failed(src, "fetching submodule " + name + " from " + url);
    git_repository* raw_sub = nullptr;
    if (git_api().submodule_open(&raw_sub, sm.get()) < 0) {
      submodule_failed(src, "opening submodule " + name);
    }
    std::unique_ptr<git_repository, SubmoduleRepoFree> sub(raw_sub);
    update_submodules_at(sub.get(), src, cancel, fetch_options, depth + 1);
  }
}

}  // namespace

bool submodule_url_allowed(const std::string& url) {
  for (const char* scheme : {"https://", "http://", "git://", "ssh://", "git+ssh://"}) {
    if (url.starts_with(scheme)) return true;
  }
  // scp-like user@host:path: a colon before any slash, and not a Windows drive or "file:".
  const size_t colon = url.find(':');
  const size_t slash = url.find('/');
  return colon != std::string::npos && colon > 1 && (slash == std::string::npos || colon < slash) &&
         !url.starts_with("file:");
}

void update_git_submodules(git_repository* repo, const GitSource& src,
                           const common::CancelToken& cancel,
                           const SubmoduleFetchOptions& fetch_options) {
  update_submodules_at(repo, src, cancel, fetch_options, 1);
}

}  // namespace mybuild::builder
