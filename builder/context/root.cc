#include "builder/context/root.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <utility>

#include "builder/context/dockerignore.h"
#include "builder/context/path.h"
#include "builder/context/tar.h"
#include "common/error.h"
#include "common/log.h"

namespace mybuild::builder {
namespace {

using common::Error;
using common::ErrorKind;

// A .dockerignore is small text; anything bigger is a mistake worth an error, not an OOM.
constexpr size_t kMaxIgnoreFile = 16 << 20;

bool regular_file_exists(const std::filesystem::path& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// Docker's rule (moby/buildkit dockerui: "<Dockerfile>.dockerignore" first): the Dockerfile's
// own ignore file beside it, else the context's.
std::optional<std::filesystem::path> choose_ignore_file(const std::filesystem::path& root,
                                                        const std::filesystem::path& dockerfile) {
  std::filesystem::path df = dockerfile.empty()         ? root / "Dockerfile"
                             : dockerfile.is_absolute() ? dockerfile
                                                        : root / dockerfile;
  auto own = df;
  own += ".dockerignore";
  if (regular_file_exists(own)) return own;
  if (regular_file_exists(root / ".dockerignore")) return root / ".dockerignore";
  return std::nullopt;
}

}  // namespace

BuildContext::BuildContext(std::filesystem::path root, std::unique_ptr<ContextFilter> filter,
                           std::optional<std::filesystem::path> ignore_file,
                           std::unique_ptr<common::TempDir> owned)
    : root_(std::move(root)),
      filter_(std::move(filter)),
      ignore_file_(std::move(ignore_file)),
      owned_(std::move(owned)) {}

BuildContext::BuildContext(BuildContext&&) noexcept = default;
BuildContext& BuildContext::operator=(BuildContext&&) noexcept = default;
BuildContext::~BuildContext() = default;

ContextOptions include_everything() {
  ContextOptions o;
  o.filter_factory = [](std::string_view, std::string_view) {
    return std::make_unique<IncludeAllFilter>();
  };
  return o;
}

BuildContext BuildContext::open_directory(const std::filesystem::path& dir,
                                          ContextOptions options) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    throw Error(ErrorKind::kNotFound,
                "build context \"" + dir.string() + "\": not a directory or does not exist");
  }
  // Absolute and free of symlinks, so host paths built from it are stable.
  std::filesystem::path root = std::filesystem::canonical(dir);
  std::unique_ptr<ContextFilter> filter;
  auto ignore = choose_ignore_file(root, options.dockerfile);
  if (ignore) {
    if (!options.filter_factory) options.filter_factory = dockerignore_filter_factory();
    const std::string text = common::read_file(*ignore, kMaxIgnoreFile);
    filter = options.filter_factory(text, ignore->string());
    common::log::debug("build context " + root.string() + ": applying " + ignore->string());
  } else {
    filter = std::make_unique<IncludeAllFilter>();
  }
  return BuildContext(std::move(root), std::move(filter), std::move(ignore), nullptr);
}

BuildContext BuildContext::open_tar(common::Reader& tar, ContextOptions options,
                                    const std::filesystem::path& temp_parent) {
  auto dir = std::make_unique<common::TempDir>("mybuild-context-", temp_parent);
  try {
    unpack_context_tar(tar, dir->path());
  } catch (Error& e) {
    e.add_context("reading the build context from a tar stream");
    throw;
  }
  BuildContext ctx = open_directory(dir->path(), std::move(options));
  ctx.owned_ = std::move(dir);
  return ctx;
}

std::filesystem::path BuildContext::host_path(std::string_view rel) const {
  return rel.empty() ? root_ : root_ / rel;
}

bool BuildContext::visible(std::string_view rel, bool is_dir) const {
  if (rel.empty()) return true;
  if (!filter_->excluded(rel)) return true;
  return is_dir && filter_->may_reinclude_under(rel);
}

std::optional<std::string> BuildContext::resolve(std::string_view path, bool follow_final) const {
  RootPathOptions opts;
  opts.follow_final = follow_final;
  opts.visible = [this](std::string_view rel, bool is_dir) { return visible(rel, is_dir); };
  return resolve_in_root(root_, path, opts);
}

BuildContext BuildContext::view(std::unique_ptr<ContextFilter> filter) const {
  return BuildContext(root_, std::move(filter), ignore_file_, nullptr);
}

std::vector<std::string> BuildContext::list(std::string_view rel) const {
  const std::filesystem::path dir = host_path(rel);
  std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(dir.c_str()), ::closedir);
  if (!d) common::throw_errno("opendir", dir.string());
  std::vector<std::string> names;
  for (;;) {
    errno = 0;
    const dirent* e = ::readdir(d.get());
    if (e == nullptr) {
      if (errno != 0) common::throw_errno("readdir", dir.string());
      break;
    }
    std::string_view name = e->d_name;
    if (name == "." || name == "..") continue;
    const std::string child = join_rel(rel, name);
    bool is_dir = e->d_type == DT_DIR;
    if (e->d_type == DT_UNKNOWN) {
      struct stat st {};
      is_dir = ::lstat((dir / name).c_str(), &st) == 0 && S_ISDIR(st.st_mode);
    }
    if (visible(child, is_dir)) names.emplace_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace mybuild::builder
