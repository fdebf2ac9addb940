// A git build context named by a URL, as docker and BuildKit spell it: the remote, then the ref
// and subdirectory in the fragment (`https://host/org/repo.git#ref:subdir`) or, as BuildKit 1.18
// also takes, in the query (`…/repo.git?ref=v1&subdir=app&checksum=<commit>`). Pure parsing:
// fetching is git_fetch.h.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace mybuild::builder {

struct GitSource {
  std::string remote;    // what libgit2 fetches: the URL without fragment and query
  std::string ref;       // branch, tag, full name (refs/...) or commit id; empty: the remote HEAD
  std::string subdir;    // the context root inside the tree; empty: the top
  std::string checksum;  // ?checksum=: the commit (or a prefix of it) the ref must resolve to
  std::string text;      // as the user wrote it, for messages
  bool keep_git_dir = false;  // ?keep-git-dir=1, ADD --keep-git-dir: the checkout keeps .git
  bool submodules = true;     // ?submodules=false: leave them out (BuildKit updates them)
};

// The URL forms docker's IsGitURL takes (git://, git@, github.com/, http(s)://….git) plus
// ssh:// and file://; nullopt for anything else (a directory, `-`, a tarball URL).
bool is_git_url(std::string_view text);
// nullopt when `text` is not a git URL; throws kUsage for one that is but is malformed (an
// unknown query key, a subdir that leaves the tree, ref given twice).
std::optional<GitSource> parse_git_source(std::string_view text);

}  // namespace mybuild::builder
