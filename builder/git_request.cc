#include "builder/git_request.h"

#include <fcntl.h>

#include <optional>
#include <string>

#include "builder/context/git_fetch.h"
#include "builder/context/git_source.h"
#include "builder/context/tar.h"
#include "builder/copy/add_url.h"
#include "common/error.h"
#include "common/io.h"
#include "common/process_owner.h"

namespace mybuild::builder {
namespace {

using common::Error;
using common::ErrorKind;

// The checkout of a git URL (builder/context/git_fetch.h), said on the progress stream.
std::filesystem::path git_checkout(const std::string& url, const BuildRequest& r,
                                   ProgressSink& progress, const common::CancelToken& cancel) {
  std::optional<GitSource> src = parse_git_source(url);
  if (!src) throw Error(ErrorKind::kUsage, "build context " + url + ": not a git URL");
  // BuildKit's build arg for the main and named git contexts.
  if (auto arg = r.build_args.find("BUILDKIT_CONTEXT_KEEP_GIT_DIR");
      arg != r.build_args.end() && (arg->second == "1" || arg->second == "true")) {
    src->keep_git_dir = true;
  }
  GitCheckout checkout = fetch_git_source(*src, r.store_root, cancel, r.secrets, r.ssh);
  progress.message("git context " + src->text + ": commit " + checkout.commit +
                   (checkout.fetched ? " (fetched)" : " (already fetched)"));
  return checkout.root;
}

struct UrlContext {
  std::filesystem::path dir;
  std::optional<std::filesystem::path> dockerfile;  // the download, when not an archive
};

// Downloads `url` into a temp dir under the root (reclaimed if the process dies) and unpacks
// it there as an untrusted tar; content that is not an archive is the Dockerfile.
UrlContext url_context(const std::string& url, const BuildRequest& r, LocalRequest& out,
                       ProgressSink& progress, const common::CancelToken& cancel) {
  std::filesystem::create_directories(r.store_root / "tmp");
  auto& temp = out.temps.emplace_back(std::make_unique<common::TempDir>(
      common::owned_prefix("mybuild-url-context-"), r.store_root / "tmp"));
  const std::filesystem::path download_dir = temp->path() / "download";
  const std::filesystem::path dir = temp->path() / "context";
  std::filesystem::create_directories(download_dir);
  std::filesystem::create_directories(dir);
  Download d = download_url(url, download_dir, std::nullopt, cancel);
  common::FdReader peek(common::open_file(d.file, O_RDONLY | O_CLOEXEC));
  std::string head(512, '\0');
  head.resize(peek.read(std::span<char>(head.data(), head.size())));
  progress.message("url context " + url + ": " + d.digest.str());
  if (!starts_like_archive(head)) return {dir, d.file};
  common::FdReader tar(common::open_file(d.file, O_RDONLY | O_CLOEXEC));
  try {
    unpack_context_tar(tar, dir);
  } catch (Error& e) {
    e.add_context("build context " + url);
    throw;
  }
  return {dir, std::nullopt};
}

}  // namespace

bool is_url_context(const std::string& context) {
  return (context.starts_with("https://") || context.starts_with("http://")) &&
         !is_git_context(context);
}

bool has_git_sources(const BuildRequest& r) {
  if (!r.context_git.empty() || !r.context_url.empty()) return true;
  for (const auto& [name, value] : r.named_contexts) {
    if (is_git_context(value) || is_url_context(value)) return true;
  }
  return false;
}

LocalRequest with_git_checkouts(const BuildRequest& given, ProgressSink& progress,
                                const common::CancelToken& cancel) {
  LocalRequest out{given, {}};
  BuildRequest& r = out.request;
  if (!r.context_git.empty() || !r.context_url.empty()) {
    std::optional<std::filesystem::path> downloaded_dockerfile;
    if (!r.context_git.empty()) {
      r.context_dir = git_checkout(r.context_git, r, progress, cancel);
    } else {
      UrlContext u = url_context(r.context_url, r, out, progress, cancel);
      r.context_dir = u.dir;
      downloaded_dockerfile = u.dockerfile;
    }
    if (!r.dockerfile.empty() && r.dockerfile.is_relative()) {
      r.dockerfile = r.context_dir / r.dockerfile;
    } else if (r.dockerfile.empty() && !r.dockerfile_text && downloaded_dockerfile) {
      r.dockerfile = *downloaded_dockerfile;
    }
  }
  for (auto& [name, value] : r.named_contexts) {
    if (is_git_context(value)) {
      value = git_checkout(value, r, progress, cancel).string();
    } else if (is_url_context(value)) {
      UrlContext u = url_context(value, r, out, progress, cancel);
      if (u.dockerfile) {
        throw Error(ErrorKind::kUsage, "--build-context " + name + "=" + value +
                                           ": not a tar archive (plain, gzip, bzip2, xz, zstd)");
      }
      value = u.dir.string();
    }
  }
  return out;
}

}  // namespace mybuild::builder
