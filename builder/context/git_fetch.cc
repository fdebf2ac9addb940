#include "builder/context/git_fetch.h"

#include <fcntl.h>
#include <git2.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <vector>

#include "builder/context/git_api.h"
#include "builder/context/git_http_auth.h"
#include "builder/context/git_ssh_auth.h"
#include "builder/context/git_submodules.h"
#include "builder/context/git_tls.h"
#include "common/error.h"
#include "common/log.h"
#include "common/process_owner.h"
#include "common/temp_dir.h"

namespace mybuild::builder {
namespace {

using common::Error;
using common::ErrorKind;

// git_libgit2_init is reference-counted and thread-safe: one per fetch.
struct Libgit2 {
  Libgit2() { git_api().libgit2_init(); }
  ~Libgit2() { git_api().libgit2_shutdown(); }
  Libgit2(const Libgit2&) = delete;
  Libgit2& operator=(const Libgit2&) = delete;
};

struct GitFree {
  void operator()(git_repository* p) const { git_api().repository_free(p); }
  void operator()(git_remote* p) const { git_api().remote_free(p); }
  void operator()(git_object* p) const { git_api().object_free(p); }
};
using RepoPtr = std::unique_ptr<git_repository, GitFree>;
using RemotePtr = std::unique_ptr<git_remote, GitFree>;
using ObjectPtr = std::unique_ptr<git_object, GitFree>;

std::string last_git_error() {
  const git_error* e = git_api().error_last();
  return e != nullptr && e->message != nullptr ? e->message : "unknown libgit2 error";
}

void git_check(int rc, ErrorKind kind, const GitSource& src, const std::string& what) {
  if (rc < 0) throw Error(kind, "git context " + src.text + ": " + what + ": " + last_git_error());
}

bool is_hex_id(const std::string& s, size_t min_len) {
  if (s.size() < min_len || s.size() > GIT_OID_HEXSZ) return false;
  return s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

std::string oid_hex(const git_oid& oid) {
  char buf[GIT_OID_HEXSZ + 1];
  git_api().oid_tostr(buf, sizeof buf, &oid);
  return buf;
}

// What libgit2's callbacks get as their one payload, and the headers every request carries.
struct FetchCalls {
  const GitSource* src;
  const common::CancelToken* cancel;
  GitHttpCredentialState http;
  GitSshAuth* ssh;             // git_ssh_auth.h: --ssh default for ssh remotes
  std::vector<char*> headers;  // into http.secret.header
  git_strarray header_array() { return {headers.data(), headers.size()}; }
};

// ssh remotes take the keys of --ssh default, http(s) ones a secret or a docker login.
int fetch_credentials(git_credential** out, const char*, const char* user, unsigned int allowed,
                      void* payload) {
  auto* calls = static_cast<FetchCalls*>(payload);
  const int rc = calls->ssh->credential(out, user, allowed);
  if (rc != GIT_PASSTHROUGH) return rc;
  return git_http_credentials(out, allowed, calls->http);
}
int check_host_key(git_cert* cert, int valid, const char*, void* payload) {
  return static_cast<FetchCalls*>(payload)->ssh->certificate_check(cert, valid);
}
void set_auth_callbacks(git_remote_callbacks& callbacks, FetchCalls& calls) {
  callbacks.credentials = fetch_credentials;
  callbacks.certificate_check = check_host_key;
  callbacks.payload = &calls;
}

// A refused or missing login is kAuth, naming the remote and where credentials came from.
void net_check(int rc, FetchCalls& calls, const std::string& what) {
  // An ssh refusal keeps libgit2's message, which git_ssh_auth.cc sets.
  if (rc == GIT_EAUTH && http_remote_host(calls.src->remote)) {
    throw Error(ErrorKind::kAuth,
                "git context " + calls.src->text + ": " + git_auth_failure(calls.http));
  }
  git_check(rc, ErrorKind::kNetwork, *calls.src, what);
}

struct RemoteRef {
  std::string name;
  std::string oid;
  std::string symref_target;
};

// What the remote advertises (git ls-remote): the one round trip a moved ref needs.
std::vector<RemoteRef> list_remote(git_remote* remote, FetchCalls& calls) {
  const GitSource& src = *calls.src;
  git_remote_callbacks callbacks = GIT_REMOTE_CALLBACKS_INIT;
  set_auth_callbacks(callbacks, calls);
  calls.http.asked = 0;  // each connection asks once; asked again, the login was refused
  const git_strarray headers = calls.header_array();
  net_check(git_api().remote_connect(remote, GIT_DIRECTION_FETCH, &callbacks, nullptr, &headers),
            calls, "cannot reach " + src.remote);
  const git_remote_head** heads = nullptr;
  size_t count = 0;
  git_check(git_api().remote_ls(&heads, &count, remote), ErrorKind::kNetwork, src, "listing refs");
  std::vector<RemoteRef> refs;
  for (size_t i = 0; i < count; ++i) {
    refs.push_back({heads[i]->name, oid_hex(heads[i]->oid),
                    heads[i]->symref_target ? heads[i]->symref_target : ""});
  }
  git_api().remote_disconnect(remote);
  return refs;
}

const RemoteRef* find_ref(const std::vector<RemoteRef>& refs, const std::string& name) {
  for (const auto& r : refs) {
    if (r.name == name) return &r;
  }
  return nullptr;
}

// The ref the user named, as the remote has it: docker's order (exact name, a branch, a tag);
// an annotated tag by its peeled `^{}` entry, which names the commit. nullopt: not a ref.
struct Resolved {
  std::string refname;  // what to fetch
  std::string commit;
};
std::optional<Resolved> resolve_ref(const std::vector<RemoteRef>& refs, const std::string& ref) {
  if (ref.empty() || ref == "HEAD") {
    const RemoteRef* head = find_ref(refs, "HEAD");
    if (head == nullptr) return std::nullopt;
    std::string target = head->symref_target;
    if (target.empty()) {
      for (const auto& r : refs) {
        if (r.name.starts_with("refs/heads/") && r.oid == head->oid) target = r.name;
      }
    }
    if (target.empty()) return std::nullopt;
    return Resolved{target, head->oid};
  }
  for (const std::string& name : {ref, "refs/heads/" + ref, "refs/tags/" + ref}) {
    const RemoteRef* r = find_ref(refs, name);
    if (r == nullptr) continue;
    const RemoteRef* peeled = find_ref(refs, name + "^{}");
    return Resolved{name, peeled ? peeled->oid : r->oid};
  }
  return std::nullopt;
}

// libgit2 calls this for every chunk received: a non-zero return stops the fetch.
int stop_when_cancelled(const git_indexer_progress*, void* payload) {
  return static_cast<FetchCalls*>(payload)->cancel->cancelled() ? GIT_EUSER : 0;
}

void fetch_refspecs(git_remote* remote, const std::vector<std::string>& refspecs,
                    FetchCalls& calls) {
  const GitSource& src = *calls.src;
  std::vector<char*> specs;
  for (const auto& s : refspecs) specs.push_back(const_cast<char*>(s.c_str()));
  git_strarray array{specs.data(), specs.size()};
  git_fetch_options opts = GIT_FETCH_OPTIONS_INIT;
  opts.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
  set_auth_callbacks(opts.callbacks, calls);
  opts.callbacks.transfer_progress = stop_when_cancelled;
  calls.http.asked = 0;
  opts.custom_headers = calls.header_array();
  const int rc = git_api().remote_fetch(remote, &array, &opts, nullptr);
  if (rc == GIT_EUSER) calls.cancel->check("fetching " + src.text);
  net_check(rc, calls, "fetching from " + src.remote);
}

// The commit `spec` names in the fetched repository, peeled through tags.
std::optional<std::string> commit_of(git_repository* repo, const std::string& spec) {
  git_object* obj = nullptr;
  if (git_api().revparse_single(&obj, repo, spec.c_str()) < 0) return std::nullopt;
  ObjectPtr owned(obj);
  git_object* peeled = nullptr;
  if (git_api().object_peel(&peeled, obj, GIT_OBJECT_COMMIT) < 0) return std::nullopt;
  ObjectPtr peeled_owner(peeled);
  return oid_hex(*git_api().object_id(peeled));
}

// Checks `commit` out into the repository's work tree (temp/tree) and points HEAD at it: the
// branch that was fetched, else the commit (detached), as a clone of that ref would have it.
void checkout_commit(git_repository* repo, const std::string& commit,
                     const std::optional<std::string>& branch, const GitSource& src) {
  git_object* obj = nullptr;
  git_check(git_api().revparse_single(&obj, repo, commit.c_str()), ErrorKind::kInternal, src,
            "finding " + commit);
  ObjectPtr owned(obj);
  git_checkout_options opts = GIT_CHECKOUT_OPTIONS_INIT;
  opts.checkout_strategy = GIT_CHECKOUT_FORCE;
  const std::string workdir = git_api().repository_workdir(repo);
  git_check(git_api().checkout_tree(repo, obj, &opts), ErrorKind::kResource, src,
            "checking out " + commit + " into " + workdir);
  const int rc = branch ? git_api().repository_set_head(repo, branch->c_str())
                        : git_api().repository_set_head_detached(repo, git_api().object_id(obj));
  git_check(rc, ErrorKind::kResource, src, "setting HEAD of " + workdir + " to " + commit);
}

void unknown_ref(const GitSource& src) {
  throw Error(ErrorKind::kNotFound, "git context " + src.text + ": ref \"" + src.ref +
                                        "\" not found in " + src.remote +
                                        " (no such branch, tag or commit)");
}

// Fetches what `src.ref` names into `repo` and checks it out (with its submodules); returns
// the commit.
std::string fetch_and_checkout(git_repository* repo, git_remote* remote,
                               const std::optional<Resolved>& resolved, FetchCalls& calls) {
  const GitSource& src = *calls.src;
  std::string commit;
  std::optional<std::string> branch;
  if (resolved) {
    fetch_refspecs(remote, {"+" + resolved->refname + ":" + resolved->refname}, calls);
    commit = resolved->commit;
    if (resolved->refname.starts_with("refs/heads/")) branch = resolved->refname;
  } else {
    // A commit id: servers need not serve it by id (uploadpack.allowAnySHA1InWant), so fetch
    // the branches and tags and look for it there, as BuildKit does.
    fetch_refspecs(remote, {"+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"}, calls);
    std::optional<std::string> found = commit_of(repo, src.ref);
    if (!found) unknown_ref(src);
    commit = *found;
  }
  checkout_commit(repo, commit, branch, src);
  if (src.submodules) {
    update_git_submodules(repo, src, *calls.cancel, [&](const std::string& url) {
      git_fetch_options opts = GIT_FETCH_OPTIONS_INIT;
      opts.callbacks.transfer_progress = stop_when_cancelled;
      opts.callbacks.certificate_check = check_host_key;
      opts.callbacks.payload = &calls;
      // Credentials go only to the host they were given for.
      calls.http.asked = 0;
      if (http_remote_host(url) == http_remote_host(src.remote)) {
        set_auth_callbacks(opts.callbacks, calls);
        opts.custom_headers = calls.header_array();
      }
      return opts;
    });
  }
  return commit;
}

void check_checksum(const GitSource& src, const std::string& commit) {
  if (src.checksum.empty() || commit.starts_with(src.checksum)) return;
  throw Error(ErrorKind::kIntegrity, "git context " + src.text + ": checksum " + src.checksum +
                                         " does not match commit " + commit);
}

GitCheckout checkout_result(const GitSource& src, std::filesystem::path tree, std::string commit,
                            bool fetched) {
  check_checksum(src, commit);
  // Its mtime is when a build last used it: `prune --filter until=` reclaims the old ones.
  if (::utimensat(AT_FDCWD, tree.c_str(), nullptr, 0) != 0) {
    common::log::warn("utimensat " + tree.string() + ": " + std::strerror(errno) +
                      " (prune may take this checkout for an unused one)");
  }
  GitCheckout out{tree, src.subdir.empty() ? tree : tree / src.subdir, std::move(commit), fetched};
  // A repository may hold a symlink where the subdir is (`app -> /`): the context root must
  // stay inside the checkout, or a build of someone's repository could read the host.
  std::error_code ec;
  const std::filesystem::path real = std::filesystem::weakly_canonical(out.root, ec);
  const std::filesystem::path top = std::filesystem::weakly_canonical(tree, ec);
  const std::string rel = real.lexically_relative(top).string();
  if (rel.empty() || rel == ".." || rel.starts_with("../")) {
    throw Error(ErrorKind::kNotFound, "git context " + src.text + ": subdir \"" + src.subdir +
                                          "\" leaves the repository (a symlink) in commit " +
                                          out.commit);
  }
  if (!std::filesystem::is_directory(out.root, ec)) {
    throw Error(ErrorKind::kNotFound, "git context " + src.text + ": subdir \"" + src.subdir +
                                          "\" not found in commit " + out.commit);
  }
  return out;
}

// <root>/git/commits/<name>: a checkout with .git and one without submodules differ from the
// plain one, so each has its own entry.
std::string checkout_name(const std::string& commit, const GitSource& src) {
  return commit + (src.submodules ? "" : "-nosubmodules") + (src.keep_git_dir ? "-git" : "");
}

// The .git directory and the submodules' .git files (gitlinks into it): git refuses a path
// named .git in a tree, so every one is metadata.
void remove_git_metadata(const std::filesystem::path& tree) {
  std::vector<std::filesystem::path> found;
  for (auto it = std::filesystem::recursive_directory_iterator(tree);
       it != std::filesystem::recursive_directory_iterator(); ++it) {
    if (it->path().filename() != ".git") continue;
    found.push_back(it->path());
    if (it->is_directory() && !it->is_symlink()) it.disable_recursion_pending();
  }
  for (const auto& p : found) std::filesystem::remove_all(p);
}

// A non-bare repository: the checkout is its work tree, where submodules are updated.
RepoPtr init_repository(const std::filesystem::path& dir, const GitSource& src) {
  git_repository* raw_repo = nullptr;
  git_check(git_api().repository_init(&raw_repo, dir.c_str(), 0), ErrorKind::kResource, src,
            "creating a repository in " + dir.string());
  return RepoPtr(raw_repo);
}

// The tree fetched into temp/tree, renamed into commits/<name>; returns the commit.
std::string fetch_into_store(const GitSource& src, const std::filesystem::path& commits,
                             const std::filesystem::path& tmp, FetchCalls& calls,
                             std::optional<std::string>& already) {
  common::TempDir temp(common::owned_prefix("mybuild-git-"), tmp);
  const std::filesystem::path tree = temp.path() / "tree";
  RepoPtr repo = init_repository(tree, src);
  // Remote "origin" is the source: submodules with relative URLs resolve against it, and a kept
  // .git has it (without credentials) as a clone would.
  git_remote* raw_remote = nullptr;
  git_check(git_api().remote_create(&raw_remote, repo.get(), "origin", src.remote.c_str()),
            ErrorKind::kUsage, src, "bad remote " + src.remote);
  RemotePtr remote(raw_remote);
  std::optional<Resolved> resolved = resolve_ref(list_remote(remote.get(), calls), src.ref);
  if (!resolved && !is_hex_id(src.ref, 7)) unknown_ref(src);
  if (resolved && std::filesystem::is_directory(commits / checkout_name(resolved->commit, src))) {
    already = resolved->commit;
    return *already;
  }
  std::string commit = fetch_and_checkout(repo.get(), remote.get(), resolved, calls);
  remote.reset();
  repo.reset();
  if (!src.keep_git_dir) remove_git_metadata(tree);
  const std::filesystem::path dest = commits / checkout_name(commit, src);
  std::filesystem::create_directories(commits);
  if (::rename(tree.c_str(), dest.c_str()) != 0 && errno != EEXIST && errno != ENOTEMPTY) {
    common::throw_errno("rename", dest.string());
  }  // EEXIST/ENOTEMPTY: another build put the same commit there first; the trees are equal
  return commit;
}

}  // namespace

GitCheckout fetch_git_source(const GitSource& src, const std::filesystem::path& store_root,
                             const common::CancelToken& cancel, const GitHttpAuth& auth,
                             const std::vector<std::string>* ssh_default) {
  const std::filesystem::path commits = store_root / "git" / "commits";
  if (is_hex_id(src.ref, GIT_OID_HEXSZ) &&
      std::filesystem::is_directory(commits / checkout_name(src.ref, src))) {
    return checkout_result(src, commits / checkout_name(src.ref, src), src.ref, false);
  }
  Libgit2 lib;
  trust_git_remote_cas(src.remote);
  GitSshAuth ssh(ssh_default);
  FetchCalls calls{&src, &cancel, {src.remote, auth, std::nullopt, "", 0}, &ssh, {}};
  if (!calls.http.secret.header.empty()) calls.headers.push_back(calls.http.secret.header.data());
  std::filesystem::create_directories(store_root / "tmp");
  std::optional<std::string> already;
  std::string commit = fetch_into_store(src, commits, store_root / "tmp", calls, already);
  return checkout_result(src, commits / checkout_name(commit, src), commit, !already);
}

GitCheckout fetch_git_source(const GitSource& src, const std::filesystem::path& store_root,
                             const common::CancelToken& cancel,
                             const std::map<std::string, std::string>& secrets,
                             const std::map<std::string, std::vector<std::string>>& ssh) {
  auto ssh_default = ssh.find("default");
  return fetch_git_source(src, store_root, cancel, git_auth_from_secrets(src.remote, secrets),
                          ssh_default == ssh.end() ? nullptr : &ssh_default->second);
}

}  // namespace mybuild::builder
