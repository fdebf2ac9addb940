// Checksums, --link owner and the copy itself of a COPY or ADD step (layer.h).
#include "builder/copy/layer.h"

#include <fcntl.h>
#include <unistd.h>

#include <mutex>

#include "builder/context/file_checksum.h"
#include "builder/context/tar.h"
#include "builder/copy/into.h"
#include "common/error.h"
#include "common/io.h"
#include "common/log.h"
#include "common/temp_dir.h"
#include "common/unique_fd.h"
#include "snapshot/mount_guard.h"

namespace mybuild::builder {

using common::Error;
using common::ErrorKind;

namespace {

// Whether the file starts like an archive ADD unpacks (tar, or gzip/bzip2/xz/zstd of one).
bool looks_like_archive(const std::filesystem::path& file) {
  common::UniqueFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (fd.get() < 0) return false;
  char head[512];
  const ssize_t n = ::pread(fd.get(), head, sizeof head, 0);
  return n > 0 && starts_like_archive(std::string_view(head, static_cast<size_t>(n)));
}

// Unpacks a local archive `file` into `dir`; false when it is compressed but no tar (ADD then
// copies the file as it is, as Docker does).
bool unpack_archive(const std::filesystem::path& file, const std::filesystem::path& dir,
                    bool keep_owners) {
  try {
    common::FdReader archive(common::open_file(file, O_RDONLY));
    unpack_context_tar(archive, dir, keep_owners);
    return true;
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::kIntegrity) throw;
    common::log::debug("ADD " + file.string() + " is not a tar (" + e.what() +
                       "): copied as it is");
    return false;
  }
}

// ADD of one local archive: its contents go into the destination directory.
void add_archive(const std::filesystem::path& rootfs, const CopyPlan& plan,
                 const BuildContext& context, const CopySource& archive,
                 const CopyOptions& options) {
  common::TempDir unpacked("mybuild-add-");
  if (!unpack_archive(context.host_path(archive.rel), unpacked.path(), plan.chown.empty())) {
    std::vector<CopySource> one = {archive};
    copy_into(rootfs, plan.dest, context, one, plan.sources.size(), options);
    return;
  }
  BuildContext archive_ctx = BuildContext::open_directory(unpacked.path(), include_everything());
  auto all = resolve_copy_sources(archive_ctx, std::vector<std::string>{"."});
  std::string dir_dest = plan.dest.back() == '/' ? plan.dest : plan.dest + "/";
  // The archive's owners stay unless --chown (BuildKit unpack: mapArchiveHeaderOwner).
  CopyOptions archive_options = options;
  archive_options.keep_owner = plan.chown.empty();
  copy_into(rootfs, dir_dest, archive_ctx, all, 1, archive_options);
}

}  // namespace

std::vector<SourceChecksum> checksum_copy_sources(BuildSession& session, const CopyTree& tree,
                                                  std::span<const CopySource> sources) {
  std::vector<SourceChecksum> out;
  for (const auto& source : sources) {
    std::span<const CopySource> one(&source, 1);
    const BuildContext& read_through = source.view ? *source.view : tree.context();
    common::Digest d;
    if (tree.is_build_context()) {
      std::lock_guard lock(session.memo_mu);
      d = checksum_sources(read_through, one, session.memo.get(), session.checksum_options());
    } else {
      d = checksum_sources(read_through, one, nullptr, session.checksum_options());
    }
    out.push_back({source.as_written, source.rel, std::move(d)});
  }
  return out;
}

std::optional<CopyRecorder> earlier_copy_result(BuildSession& session, const std::string& scope) {
  if (session.store.dir_format() != snapshot::DirFormat::kOverlayLayer) return std::nullopt;
  std::optional<CopyManifest> manifest = load_copy_manifest(session.store.root(), scope);
  if (!manifest) return std::nullopt;
  std::filesystem::path upper;
  const bool committed = session.store.with_snapshotter([&](snapshot::Snapshotter& s) {
    auto info = s.stat(manifest->snapshot);
    if (!info || info->kind != snapshot::SnapshotKind::kCommitted) return false;
    upper = s.dir(manifest->snapshot);
    return true;
  });
  if (!committed) {
    forget_copy_manifest(session.store.root(), scope);
    return std::nullopt;
  }
  return CopyRecorder(std::move(*manifest), upper);
}

Owner resolve_linked_owner(BuildSession& session, const std::vector<image::LayerRef>& layers,
                           const std::string& chown) {
  // BuildKit looks names up in the empty layer and fails; numbers behave the same in both.
  if (chown.find_first_not_of("0123456789:") == std::string::npos) {
    return resolve_chown(chown, {});  // numbers: nothing to look up
  }
  std::string chain = session.store.ensure_snapshot(layers, session.cancel);
  ScopedSnapshot parent(session.store, "chown", chain, ScopedSnapshot::Kind::kView);
  snapshot::MountGuard mounted(parent.mounts(), parent.mount_point());
  return resolve_chown(chown, mounted.target());
}

void copy_to_layer(const std::filesystem::path& rootfs, const CopyPlan& plan,
                   const BuildContext& context, std::span<const CopySource> sources,
                   const std::optional<Owner>& linked_owner, CopyRecorder* recorder,
                   snapshot::LayerFollower* follower, const std::atomic<bool>* stop) {
  CopyOptions options;
  options.recorder = recorder;
  options.follower = follower;
  options.stop = stop;
  if (linked_owner) {
    options.owner = *linked_owner;
  } else if (!plan.chown.empty()) {
    options.owner = resolve_chown(plan.chown, rootfs);
  }
  // COPY --from without --chown keeps the owners the files have in that stage or image (BuildKit's
  // fsutil copy); the context's files are always 0:0, as BuildKit sends them.
  options.keep_owner = !plan.from.empty() && plan.chown.empty() && !linked_owner;
  options.chmod = plan.chmod_spec;
  std::vector<CopySource> plain;
  std::vector<const CopySource*> archives;
  for (const auto& src : sources) {
    if (plan.unpack_archives && !src.is_dir && looks_like_archive(context.host_path(src.rel))) {
      archives.push_back(&src);
    } else {
      plain.push_back(src);
    }
  }
  if (!plain.empty()) copy_into(rootfs, plan.dest, context, plain, plan.sources.size(), options);
  for (const CopySource* a : archives) add_archive(rootfs, plan, context, *a, options);
}

}  // namespace mybuild::builder
