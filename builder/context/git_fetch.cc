#include "builder/context/git_fetch.h"

#include <git2.h>

#include <cerrno>
#include <cstdio>
#include <memory>
#include <optional>
#include <vector>

#include "builder/context/git_ssh_auth.h"
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
  Libgit2() { git_libgit2_init(); }
  ~Libgit2() { git_libgit2_shutdown(); }
  Libgit2(const Libgit2&) = delete;
  Libgit2& operator=(const Libgit2&) = delete;
};

template <typename T, void (*Free)(T*)>
struct GitFree {
  void operator()(T* p) const { Free(p); }
};
using RepoPtr = std::unique_ptr<git_repository, GitFree<git_repository, git_repository_free>>;
using RemotePtr = std::unique_ptr<git_remote, GitFree<git_remote, git_remote_free>>;
using ObjectPtr = std::unique_ptr<git_object, GitFree<git_object, git_object_free>>;

std::string last_git_error() {
  const git_error* e = git_error_last();
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
  git_oid_tostr(buf, sizeof buf, &oid);
  return buf;
}

// What libgit2's remote callbacks get as their payload.
struct RemotePayload {
  const common::CancelToken* cancel;
  GitSshAuth* ssh;  // git_ssh_auth.h: --ssh default for ssh remotes
};
int acquire_credential(git_credential** out, const char*, const char* user, unsigned int allowed,
                       void* payload) {
  return static_cast<RemotePayload*>(payload)->ssh->credential(out, user, allowed);
}
int check_host_key(git_cert* cert, int valid, const char*, void* payload) {
  return static_cast<RemotePayload*>(payload)->ssh->certificate_check(cert, valid);
}
void set_auth_callbacks(git_remote_callbacks& callbacks, RemotePayload& payload) {
  callbacks.credentials = acquire_credential;
  callbacks.certificate_check = check_host_key;
  callbacks.payload = &payload;
}

struct RemoteRef {
  std::string name;
  std::string oid;
  std::string symref_target;
};

// What the remote advertises (git ls-remote): the one round trip a moved ref needs.
std::vector<RemoteRef> list_remote(git_remote* remote, const GitSource& src,
                                   RemotePayload& payload) {
  git_remote_callbacks callbacks = GIT_REMOTE_CALLBACKS_INIT;
  set_auth_callbacks(callbacks, payload);
  git_check(git_remote_connect(remote, GIT_DIRECTION_FETCH, &callbacks, nullptr, nullptr),
            ErrorKind::kNetwork, src, "cannot reach " + src.remote);
  const git_remote_head** heads = nullptr;
  size_t count = 0;
  git_check(git_remote_ls(&heads, &count, remote), ErrorKind::kNetwork, src, "listing refs");
  std::vector<RemoteRef> refs;
  for (size_t i = 0; i < count; ++i) {
    refs.push_back({heads[i]->name, oid_hex(heads[i]->oid),
                    heads[i]->symref_target ? heads[i]->symref_target : ""});
  }
  git_remote_disconnect(remote);
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
  return static_cast<RemotePayload*>(payload)->cancel->cancelled() ? GIT_EUSER : 0;
}

void fetch_refspecs(git_remote* remote, const std::vector<std::string>& refspecs,
                    const GitSource& src, RemotePayload& payload) {
  const common::CancelToken& cancel = *payload.cancel;
  std::vector<char*> specs;
  for (const auto& s : refspecs) specs.push_back(const_cast<char*>(s.c_str()));
  git_strarray array{specs.data(), specs.size()};
  git_fetch_options opts = GIT_FETCH_OPTIONS_INIT;
  opts.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
  set_auth_callbacks(opts.callbacks, payload);
  opts.callbacks.transfer_progress = stop_when_cancelled;
  const int rc = git_remote_fetch(remote, &array, &opts, nullptr);
  if (rc == GIT_EUSER) cancel.check("fetching " + src.text);
  git_check(rc, ErrorKind::kNetwork, src, "fetching from " + src.remote);
}

// The commit `spec` names in the fetched repository, peeled through tags.
std::optional<std::string> commit_of(git_repository* repo, const std::string& spec) {
  git_object* obj = nullptr;
  if (git_revparse_single(&obj, repo, spec.c_str()) < 0) return std::nullopt;
  ObjectPtr owned(obj);
  git_object* peeled = nullptr;
  if (git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT) < 0) return std::nullopt;
  ObjectPtr peeled_owner(peeled);
  return oid_hex(*git_object_id(peeled));
}

void checkout_into(git_repository* repo, const std::string& commit,
                   const std::filesystem::path& dir, const GitSource& src) {
  git_object* obj = nullptr;
  git_check(git_revparse_single(&obj, repo, commit.c_str()), ErrorKind::kInternal, src,
            "finding " + commit);
  ObjectPtr owned(obj);
  std::filesystem::create_directories(dir);
  const std::string target = dir.string();
  git_checkout_options opts = GIT_CHECKOUT_OPTIONS_INIT;
  opts.checkout_strategy = GIT_CHECKOUT_FORCE;
  opts.target_directory = target.c_str();
  git_check(git_checkout_tree(repo, obj, &opts), ErrorKind::kResource, src,
            "checking out " + commit + " into " + target);
}

void unknown_ref(const GitSource& src) {
  throw Error(ErrorKind::kNotFound, "git context " + src.text + ": ref \"" + src.ref +
                                        "\" not found in " + src.remote +
                                        " (no such branch, tag or commit)");
}

// Fetches into a bare repository in `temp` and checks `commit` (or, unknown yet, what `src.ref`
// names as a commit id) out into temp/tree; returns the commit.
std::string fetch_and_checkout(git_repository* repo, git_remote* remote,
                               const std::optional<Resolved>& resolved, const GitSource& src,
                               const std::filesystem::path& tree, RemotePayload& payload) {
  std::string commit;
  if (resolved) {
    fetch_refspecs(remote, {"+" + resolved->refname + ":" + resolved->refname}, src, payload);
    commit = resolved->commit;
  } else {
    // A commit id: servers need not serve it by id (uploadpack.allowAnySHA1InWant), so fetch
    // the branches and tags and look for it there, as BuildKit does.
    fetch_refspecs(remote, {"+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"}, src,
                   payload);
    std::optional<std::string> found = commit_of(repo, src.ref);
    if (!found) unknown_ref(src);
    commit = *found;
  }
  checkout_into(repo, commit, tree, src);
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

}  // namespace

GitCheckout fetch_git_source(const GitSource& src, const std::filesystem::path& store_root,
                             const common::CancelToken& cancel,
                             const std::vector<std::string>* ssh_default) {
  const std::filesystem::path commits = store_root / "git" / "commits";
  if (is_hex_id(src.ref, GIT_OID_HEXSZ) && std::filesystem::is_directory(commits / src.ref)) {
    return checkout_result(src, commits / src.ref, src.ref, false);
  }
  Libgit2 lib;
  std::filesystem::create_directories(store_root / "tmp");
  common::TempDir temp(common::owned_prefix("mybuild-git-"), store_root / "tmp");
  git_repository* raw_repo = nullptr;
  git_check(git_repository_init(&raw_repo, (temp.path() / "repo.git").c_str(), 1),
            ErrorKind::kResource, src, "creating a repository in " + temp.path().string());
  RepoPtr repo(raw_repo);
  git_remote* raw_remote = nullptr;
  git_check(git_remote_create_anonymous(&raw_remote, repo.get(), src.remote.c_str()),
            ErrorKind::kUsage, src, "bad remote " + src.remote);
  RemotePtr remote(raw_remote);

  GitSshAuth ssh(ssh_default);
  RemotePayload payload{&cancel, &ssh};
  std::optional<Resolved> resolved = resolve_ref(list_remote(remote.get(), src, payload), src.ref);
  if (!resolved && !is_hex_id(src.ref, 7)) unknown_ref(src);
  if (resolved && std::filesystem::is_directory(commits / resolved->commit)) {
    return checkout_result(src, commits / resolved->commit, resolved->commit, false);
  }
  std::string commit =
      fetch_and_checkout(repo.get(), remote.get(), resolved, src, temp.path() / "tree", payload);
  std::filesystem::create_directories(commits);
  if (::rename((temp.path() / "tree").c_str(), (commits / commit).c_str()) != 0 &&
      errno != EEXIST && errno != ENOTEMPTY) {
    common::throw_errno("rename", (commits / commit).string());
  }  // EEXIST/ENOTEMPTY: another build put the same commit there first; the trees are equal
  return checkout_result(src, commits / commit, commit, true);
}

}  // namespace mybuild::builder
