#include "builder/git_request.h"

#include <optional>
#include <string>

#include "builder/context/git_fetch.h"
#include "builder/context/git_source.h"
#include "common/error.h"

namespace mybuild::builder {
namespace {

using common::Error;
using common::ErrorKind;

// The checkout of a git URL (builder/context/git_fetch.h), said on the progress stream.
std::filesystem::path git_checkout(const std::string& url, const BuildRequest& r,
                                   ProgressSink& progress, const common::CancelToken& cancel) {
  std::optional<GitSource> src = parse_git_source(url);
  if (!src) throw Error(ErrorKind::kUsage, "build context " + url + ": not a git URL");
  auto ssh = r.ssh.find("default");  // BuildKit authenticates git sources with the default id
  GitCheckout checkout =
      fetch_git_source(*src, r.store_root, cancel, ssh == r.ssh.end() ? nullptr : &ssh->second);
  progress.message("git context " + src->text + ": commit " + checkout.commit +
                   (checkout.fetched ? " (fetched)" : " (already fetched)"));
  return checkout.root;
}

}  // namespace

bool has_git_sources(const BuildRequest& r) {
  if (!r.context_git.empty()) return true;
  for (const auto& [name, value] : r.named_contexts) {
    if (is_git_context(value)) return true;
  }
  return false;
}

BuildRequest with_git_checkouts(const BuildRequest& given, ProgressSink& progress,
                                const common::CancelToken& cancel) {
  BuildRequest r = given;
  if (!r.context_git.empty()) {
    r.context_dir = git_checkout(r.context_git, r, progress, cancel);
    if (!r.dockerfile.empty() && r.dockerfile.is_relative()) {
      r.dockerfile = r.context_dir / r.dockerfile;
    }
  }
  for (auto& [name, value] : r.named_contexts) {
    if (is_git_context(value)) value = git_checkout(value, r, progress, cancel).string();
  }
  return r;
}

}  // namespace mybuild::builder
