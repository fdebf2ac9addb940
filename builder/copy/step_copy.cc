// COPY, ADD and WORKDIR: the filesystem steps that read files (the context, another stage, a
// heredoc) or make directories.
#include <fcntl.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <fstream>
#include <functional>

#include "builder/copy/add_url.h"
#include "builder/stage/build_inputs.h"
#include "builder/context/path.h"
#include "builder/context/tar.h"
#include "builder/copy/filter.h"
#include "builder/copy/into.h"
#include "builder/stage/source.h"
#include "builder/context/file_checksum.h"
#include "builder/stage/stage_builder.h"
#include "common/error.h"
#include "common/io.h"
#include "common/temp_dir.h"
#include "snapshot/extract_root.h"
#include "snapshot/mount_guard.h"

namespace mybuild::builder {

using common::Error;
using common::ErrorKind;

namespace {

// Where a COPY reads from when it is not the build context: a mounted view of another stage or
// image, or a temp dir holding heredoc files.
struct SourceTree {
  std::unique_ptr<OpenSource> from;
  std::unique_ptr<common::TempDir> temp;
  std::optional<BuildContext> context;
};

// Whether the file starts like an archive ADD unpacks (tar, or gzip/bzip2/xz/zstd of one).
bool looks_like_archive(const std::filesystem::path& file) {
  common::UniqueFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (fd.get() < 0) return false;
  char head[512];
  const ssize_t n = ::pread(fd.get(), head, sizeof head, 0);
  return n > 0 && starts_like_archive(std::string_view(head, static_cast<size_t>(n)));
}

// Expands $NAME and ${...} in a COPY heredoc body, leaving quotes and everything else as they
// are (BuildKit processes heredoc bodies with quote processing off); `\$` is a literal '$'.
std::string expand_heredoc_body(const std::string& body,
                                const std::function<std::string(const std::string&)>& expand) {
  std::string out;
  for (size_t i = 0; i < body.size(); ++i) {
    char c = body[i];
    if (c == '\\' && i + 1 < body.size() && body[i + 1] == '$') {
      out += '$';
      ++i;
      continue;
    }
    if (c != '$' || i + 1 >= body.size()) {
      out += c;
      continue;
    }
    size_t end = i + 1;
    if (body[end] == '{') {
      int depth = 0;
      for (; end < body.size(); ++end) {
        if (body[end] == '{') ++depth;
        if (body[end] == '}' && --depth == 0) break;
      }
      if (end >= body.size()) {
        out += body.substr(i);
        break;
      }
      ++end;
    } else {
      while (end < body.size() && (std::isalnum(static_cast<unsigned char>(body[end])) || body[end] == '_')) ++end;
      if (end == i + 1) {
        out += c;
        continue;
      }
    }
    out += expand(body.substr(i, end - i));
    i = end - 1;
  }
  return out;
}

bool is_url(const std::string& s) {
  for (const char* scheme : {"http://", "https://", "git://", "ssh://", "git@"}) {
    if (s.rfind(scheme, 0) == 0) return true;
  }
  return false;
}

// A git source as BuildKit's gitutil reads one: git://, ssh:// and git@ transports, or a URL
// whose path ends in .git, with any #ref:subdir fragment or ?query after it.
bool is_git_source(const std::string& s) {
  for (const char* scheme : {"git://", "ssh://", "git@"}) {
    if (s.rfind(scheme, 0) == 0) return true;
  }
  return s.substr(0, s.find_first_of("#?")).ends_with(".git");
}

}  // namespace

std::string StageBuilder::expand_flag(const std::optional<std::string>& value) const {
  return value ? expand(*value) : std::string();
}

void StageBuilder::do_copy(const parser::Copy& copy) {
  const std::string op = copy.is_add ? "ADD" : "COPY";
  if (copy.parents && copy.is_add) {
    // BuildKit's parseAdd has no --parents flag.
    throw Error(ErrorKind::kDockerfile, "Unknown flag: parents (ADD has no --parents; use COPY)",
                copy.range);
  }
  std::vector<std::string> srcs;
  bool heredoc_sources = false;
  for (const auto& s : copy.sources) {
    if (s.rfind("<<", 0) == 0) {
      heredoc_sources = true;
      srcs.push_back(s);
    } else {
      srcs.push_back(expand(s));
    }
  }
  size_t urls = 0;
  for (const auto& s : srcs) {
    if (!is_url(s)) continue;
    ++urls;
    if (!copy.is_add) {
      throw Error(ErrorKind::kDockerfile, "COPY cannot read a URL (" + s + "): use ADD", copy.range);
    }
    if (is_git_source(s)) {
      throw Error(ErrorKind::kDockerfile, "ADD of a git repository (" + s + ") is not supported by mybuild yet",
                  copy.range);
    }
  }
  if (urls > 0 && urls != srcs.size()) {
    throw Error(ErrorKind::kDockerfile, "ADD cannot mix URL and local sources in one instruction (mybuild)",
                copy.range);
  }
  if (copy.checksum && urls == 0) {
    throw Error(ErrorKind::kDockerfile, "ADD --checksum is only for URL sources", copy.range);
  }
  std::string dest = expand(copy.destination);
  // BuildKit's history text: --parents, --chown and --chmod (not --from, --link or --exclude),
  // the sources and the destination as written.
  std::string created_by = op;
  if (copy.parents) created_by += " --parents";
  std::string chown_text = expand_flag(copy.chown), chmod_text = expand_flag(copy.chmod);
  if (!chown_text.empty()) created_by += " --chown=" + chown_text;
  if (!chmod_text.empty()) created_by += " --chmod=" + chmod_text;
  for (const auto& s : srcs) created_by += " " + s;
  created_by += " " + dest + " # buildkit";
  std::string from = expand_flag(copy.from);
  std::string chown = expand_flag(copy.chown);
  std::string chmod = expand_flag(copy.chmod);
  std::optional<ChmodSpec> chmod_spec;
  if (!chmod.empty()) chmod_spec = ChmodSpec::parse(chmod);
  // A relative destination is relative to WORKDIR; a trailing '/' keeps its meaning.
  if (dest.empty() || dest[0] != '/') {
    std::string wd = state_.config.config.working_dir.empty() ? "/" : state_.config.config.working_dir;
    bool dir = dest.empty() || dest.back() == '/' || dest == "." || dest.ends_with("/.");
    std::string joined = wd;
    joined += '/';
    joined += dest;
    std::string absolute(1, '/');
    absolute.append(clean_in_root(joined));
    if (dir && absolute.back() != '/') absolute.push_back('/');
    dest = std::move(absolute);
  }



  // The tree the sources come from.
  SourceTree tree;
  const BuildContext* ctx = &s_.context;
  std::string from_chain;
  if (!from.empty()) {
    tree.from = open_source(s_, plan_, from, state_.config.platform);
    ctx = &*tree.from->context;
    from_chain = tree.from->chain.empty() ? tree.from->description : tree.from->chain;
  } else if (urls > 0) {
    // Remote files are fetched first: their content is part of the cache key.
    tree.temp = std::make_unique<common::TempDir>("mybuild-add-url-", s_.store.root() / "tmp");
    std::optional<std::string> checksum;
    if (copy.checksum) checksum = expand(*copy.checksum);
    for (auto& s : srcs) {
      StepId fetch{s_.next_step(), "[internal] fetch " + s};
      auto t0 = std::chrono::steady_clock::now();
      s_.progress.step_state(fetch, StepState::kStarted, {});
      try {
        s = download_url(s, tree.temp->path(), checksum, s_.cancel).name;
      } catch (Error& e) {
        s_.progress.step_state(fetch, StepState::kFailed, std::chrono::steady_clock::now() - t0);
        e.set_where(copy.range);
        throw;
      }
      s_.progress.step_state(fetch, StepState::kDone, std::chrono::steady_clock::now() - t0);
    }
    tree.context.emplace(BuildContext::open_directory(tree.temp->path(), include_everything()));
    ctx = &*tree.context;
  } else if (heredoc_sources) {
    tree.temp = std::make_unique<common::TempDir>("mybuild-heredoc-");
    for (auto& s : srcs) {
      if (s.rfind("<<", 0) != 0) {
        throw Error(ErrorKind::kDockerfile, op + " cannot mix heredoc and file sources", copy.range);
      }
      std::string name = s.substr(2);
      if (!name.empty() && name[0] == '-') name = name.substr(1);
      if (name.size() >= 2 && (name[0] == '"' || name[0] == '\'')) name = name.substr(1, name.size() - 2);
      const parser::Heredoc* h = nullptr;
      for (const auto& cand : copy.heredocs) {
        if (cand.name == name) h = &cand;
      }
      if (h == nullptr) throw Error(ErrorKind::kDockerfile, "heredoc " + s + " has no body", copy.range);
      std::string content = heredoc_body(*h);
      if (h->expand) {
        content = expand_heredoc_body(content, [&](const std::string& word) { return expand(word); });
      }
      std::ofstream f(tree.temp->path() / name, std::ios::binary);
      f << content;
      f.close();
      ::chmod((tree.temp->path() / name).c_str(), 0644);
      s = name;
    }
    tree.context.emplace(BuildContext::open_directory(tree.temp->path(), include_everything()));
    ctx = &*tree.context;
  }
  // BuildKit allows a wildcard that matches nothing (AllowEmptyWildcard): it copies nothing.
  // --exclude and --parents narrow each source to a view of the tree (copy_filter.h); heredoc
  // and URL sources are single files, which neither flag filters.
  NarrowedSources narrowed = narrow_sources(*ctx, srcs, copy.excludes, copy.parents);
  const std::vector<CopySource>& sources = narrowed.sources;

  std::string display = created_by.substr(0, created_by.size() - std::string_view(" # buildkit").size());
  if (!from.empty()) display.insert(op.size(), " --from=" + from);
  StepId step{s_.next_step(), step_name(display)};
  StepInputs in;
  in.inputs["op"] = op;
  in.inputs["instruction"] = created_by;
  in.inputs["dest"] = dest;
  in.inputs["chown"] = chown;
  in.inputs["chmod"] = chmod;
  if (!from_chain.empty()) in.inputs["from"] = from_chain;
  if (copy.unpack) in.inputs["unpack"] = *copy.unpack;
  if (!copy.excludes.empty()) in.inputs["exclude"] = copy.excludes;
  for (size_t i = 0; i < sources.size(); ++i) {
    std::span<const CopySource> one(&sources[i], 1);
    const BuildContext& read_through = sources[i].view ? *sources[i].view : *ctx;
    common::Digest d;
    if (ctx == &s_.context) {
      std::lock_guard lock(s_.memo_mu);
      d = checksum_sources(read_through, one, s_.memo.get());
    } else {
      d = checksum_sources(read_through, one, nullptr);
    }
    std::string name = "files of " + sources[i].as_written;
    if (sources.size() > srcs.size() || in.inputs.contains(name)) name += " (" + sources[i].rel + ")";
    in.inputs[name] = d.str();
  }

  // --link: the files go into an empty layer whose key leaves the parent out (BuildKit merges
  // it onto the parent with MergeOp). BuildKit links only without --chmod (dispatchCopy:
  // `cfg.link && cfg.chmod == ""`), so with --chmod it is an ordinary copy there and here.
  std::optional<Owner> linked_owner;
  if (copy.link && chmod.empty()) {
    in.independent_of_parent = true;
    // The layer cannot read the parent, but a --chown name means the parent's passwd/group:
    // resolve it first and key the numbers. (BuildKit looks names up in the empty layer and
    // fails; numbers behave the same in both.)
    if (!chown.empty()) {
      if (chown.find_first_not_of("0123456789:") == std::string::npos) {
        linked_owner = resolve_chown(chown, {});  // numbers: nothing to look up
      } else {
        std::string chain = s_.store.ensure_snapshot(state_.layers, s_.cancel);
        ScopedSnapshot parent(s_.store, "chown", chain, ScopedSnapshot::Kind::kView);
        snapshot::MountGuard mounted(parent.mounts(), parent.mount_point());
        linked_owner = resolve_chown(chown, mounted.target());
      }
      std::string numbers = std::to_string(linked_owner->uid);
      numbers += ':';
      numbers += std::to_string(linked_owner->gid);
      in.inputs["chown"] = numbers;
    }
  }

  layer_step(step, copy, std::move(in), created_by,
             [&](const std::filesystem::path& rootfs, const StepId&) {
    CopyOptions options;
    if (linked_owner) {
      options.owner = *linked_owner;
    } else if (!chown.empty()) {
      options.owner = resolve_chown(chown, rootfs);
    }
    options.chmod = chmod_spec;
    std::vector<CopySource> plain;
    std::vector<const CopySource*> archives;
    for (const auto& src : sources) {
      // Remote archives are not unpacked (Docker's rule); local ones are unless --unpack=false.
      bool unpack = copy.is_add && urls == 0 && copy.unpack.value_or(true) && !src.is_dir &&
                    looks_like_archive(ctx->host_path(src.rel));
      if (unpack) archives.push_back(&src);
      else plain.push_back(src);
    }
    if (!plain.empty()) copy_into(rootfs, dest, *ctx, plain, srcs.size(), options);
    for (const CopySource* a : archives) {
      common::TempDir unpacked("mybuild-add-");
      try {
        common::FdReader archive(common::open_file(ctx->host_path(a->rel), O_RDONLY));
        unpack_context_tar(archive, unpacked.path(), /*keep_owners=*/chown.empty());
      } catch (const Error& e) {
        if (e.kind() != ErrorKind::kIntegrity) throw;
        // Compressed but not a tar: ADD copies such a file as it is.
        std::vector<CopySource> one = {*a};
        copy_into(rootfs, dest, *ctx, one, srcs.size(), options);
        continue;
      }
      BuildContext archive_ctx = BuildContext::open_directory(unpacked.path(), include_everything());
      auto all = resolve_copy_sources(archive_ctx, std::vector<std::string>{"."});
      std::string dir_dest = dest.back() == '/' ? dest : dest + "/";
      // The archive's owners stay unless --chown (BuildKit unpack: mapArchiveHeaderOwner).
      CopyOptions archive_options = options;
      archive_options.keep_owner = chown.empty();
      copy_into(rootfs, dir_dest, archive_ctx, all, 1, archive_options);
    }
  });
}

void StageBuilder::do_workdir(const parser::Workdir& workdir) {
  std::string path = expand(workdir.path);
  std::string current = state_.config.config.working_dir.empty() ? "/" : state_.config.config.working_dir;
  std::string joined = path;
  if (!path.starts_with("/")) {
    joined = current;
    joined += '/';
    joined += path;
  }
  std::string wd = "/";
  wd += clean_in_root(joined);
  state_.config.config.working_dir = wd;
  std::string created_by = "WORKDIR " + wd;
  if (wd == "/") {
    add_history(created_by, true);
    return;
  }
  StepId step{s_.next_step(), step_name(created_by)};
  StepInputs in;
  in.inputs["op"] = "WORKDIR";
  in.inputs["path"] = wd;
  std::string user = state_.config.config.user;
  in.inputs["user"] = user;
  layer_step(step, workdir, std::move(in), created_by,
             [&](const std::filesystem::path& rootfs, const StepId&) {
    snapshot::RootDir root(rootfs);
    std::vector<std::string> components;
    snapshot::split_entry_path(wd, components);
    // Which directories are new: BuildKit makes them owned by the USER in effect.
    std::vector<std::string> created;
    std::string prefix;
    for (const auto& c : components) {
      prefix += (prefix.empty() ? "" : "/") + c;
      int fd = root.open_at(prefix, O_PATH | O_NOFOLLOW | O_CLOEXEC);
      if (fd >= 0) {
        ::close(fd);
      } else {
        created.push_back(prefix);
      }
    }
    root.open_dir(components, true);
    if (!user.empty() && !created.empty()) {
      Owner owner = resolve_chown(user, rootfs);
      for (const auto& rel : created) {
        int fd = root.open_at(rel, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) continue;
        int rc = ::fchownat(fd, "", owner.uid, owner.gid, AT_EMPTY_PATH);
        ::close(fd);
        if (rc != 0) common::throw_errno("chown", wd);
      }
    }
  });
}

}  // namespace mybuild::builder
