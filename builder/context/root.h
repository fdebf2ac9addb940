// BuildContext: the files a build may read, as BuildKit's local source would send them: a
// directory (or a tar unpacked into a private temp dir) seen through .dockerignore.
//
//   BuildContext ctx = BuildContext::open_directory("/src/app", {.dockerfile = "Dockerfile",
//                                                                .filter_factory = f});
//   std::optional<std::string> rel = ctx.resolve("../etc/x");   // stays inside the root
//
// Which .dockerignore applies (Docker's rule): `<Dockerfile>.dockerignore` next to the
// Dockerfile (e.g. `build/app.Dockerfile.dockerignore` for `-f build/app.Dockerfile`) wins over
// `<context>/.dockerignore`; only one of them is read. The Dockerfile and the .dockerignore are
// ordinary context files: `COPY . .` includes them unless the patterns exclude them.
//
// Ownership and thread-safety: move-only; owns the temp dir of a tar context (removed on
// destruction). All const methods may be called from several threads at once.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "builder/context/filter.h"
#include "common/io.h"
#include "common/temp_dir.h"

namespace mybuild::builder {

struct ContextOptions {
  // The Dockerfile: absolute, or relative to the context root; empty means "<root>/Dockerfile".
  // It may live outside the context (docker build -f ../x.Dockerfile .).
  std::filesystem::path dockerfile;
  // Parses the chosen .dockerignore; empty means the real matcher (builder/context/dockerignore.h).
  ContextFilterFactory filter_factory;
};

// Options that read every file of a directory (no .dockerignore): the trees COPY --from and
// RUN --mount from= read, heredoc and download dirs, a --build-context directory.
ContextOptions include_everything();

class BuildContext {
 public:
  // Throws Error(kNotFound) naming `dir` when it is missing or not a directory.
  static BuildContext open_directory(const std::filesystem::path& dir, ContextOptions options);
  // Unpacks the tar stream (`docker build - < ctx.tar`) into a private temp dir under
  // `temp_parent` (default $TMPDIR) with the safe rules of builder/context/tar.h, then opens it. A
  // relative `options.dockerfile` is taken inside the unpacked context.
  static BuildContext open_tar(common::Reader& tar, ContextOptions options,
                               const std::filesystem::path& temp_parent = {});

  BuildContext(BuildContext&&) noexcept;
  BuildContext& operator=(BuildContext&&) noexcept;
  ~BuildContext();

  const std::filesystem::path& root() const { return root_; }
  std::filesystem::path host_path(std::string_view rel) const;
  // The .dockerignore that was applied, if any (a host path).
  const std::optional<std::filesystem::path>& ignore_file() const { return ignore_file_; }

  // Whether an existing path is part of the context (.dockerignore does not hide it). An
  // excluded directory stays visible when a `!` pattern may re-include something below it.
  bool visible(std::string_view rel, bool is_dir) const;
  // Resolves a source path as written in COPY (absolute or relative to the context root, `..`
  // and symlinks clamped to the root) to a root-relative path; nullopt when it does not exist
  // in the context.
  std::optional<std::string> resolve(std::string_view path, bool follow_final = true) const;
  // The visible entries of directory `rel`, sorted by name (byte order, as Go's os.ReadDir).
  std::vector<std::string> list(std::string_view rel) const;

  // The same root seen through `filter` instead (COPY --exclude and --parents narrow what one
  // source reads: builder/copy/filter.h). The view owns no temp dir; this context must outlive it.
  BuildContext view(std::unique_ptr<ContextFilter> filter) const;

 private:
  BuildContext(std::filesystem::path root, std::unique_ptr<ContextFilter> filter,
               std::optional<std::filesystem::path> ignore_file,
               std::unique_ptr<common::TempDir> owned);

  std::filesystem::path root_;
  std::unique_ptr<ContextFilter> filter_;
  std::optional<std::filesystem::path> ignore_file_;
  std::unique_ptr<common::TempDir> owned_;  // the unpacked tar, if any
};

}  // namespace mybuild::builder
