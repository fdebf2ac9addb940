// COPY, ADD and WORKDIR: the filesystem steps that read files (the context, another stage, a
// heredoc, a URL) or make directories. What they mean is plan.h; this file makes it happen.
#include <fcntl.h>
#include <unistd.h>

#include "builder/copy/filter.h"
#include "builder/copy/follow.h"
#include "builder/copy/layer.h"
#include "builder/copy/plan.h"
#include "builder/copy/reuse.h"
#include "builder/copy/reuse_step.h"
#include "builder/copy/tree.h"
#include "builder/stage/stage_builder.h"
#include "common/error.h"
#include "common/unique_fd.h"
#include "snapshot/extract_root.h"

namespace mybuild::builder {

namespace {

// Makes the directories of `path` in `rootfs`; the new ones are owned by `user` when set
// (BuildKit makes them owned by the USER in effect).
void make_workdir(const std::filesystem::path& rootfs, const std::string& path,
                  const std::string& user) {
  snapshot::RootDir root(rootfs);
  std::vector<std::string> components;
  snapshot::split_entry_path(path, components);
  std::vector<std::string> created;
  std::string prefix;
  for (const auto& c : components) {
    prefix += (prefix.empty() ? "" : "/") + c;
    common::UniqueFd fd(root.open_at(prefix, O_PATH | O_NOFOLLOW | O_CLOEXEC));
    if (fd.get() < 0) created.push_back(prefix);
  }
  root.open_dir(components, true);
  if (user.empty() || created.empty()) return;
  Owner owner = resolve_chown(user, rootfs);
  for (const auto& rel : created) {
    common::UniqueFd fd(root.open_at(rel, O_PATH | O_NOFOLLOW | O_CLOEXEC));
    if (fd.get() < 0) continue;
    if (::fchownat(fd.get(), "", owner.uid, owner.gid, AT_EMPTY_PATH) != 0) {
      common::throw_errno("chown", path);
    }
  }
}

// Stores what a COPY that missed copied, for its next miss (reuse.h): `state` is the stage
// after the step.
void store_copy_result(BuildSession& session, const StageResult& state, const std::string& scope,
                       CopyRecorder& recorder) {
  recorder.result().snapshot = state.chain;
  if (session.layer_options.compression == snapshot::Compression::kNone && !state.layers.empty()) {
    recorder.result().layer = state.layers.back().blob.digest.str();
  }
  recorder.result().source_date_epoch = session.layer_options.source_date_epoch;
  store_copy_manifest(session.store.root(), scope, recorder.result());
}

}  // namespace

void StageBuilder::do_copy(const parser::Copy& copy) {
  const CopyPlan plan = plan_copy(copy, state_.config.config.working_dir,
                                  [this](const std::string& word) { return expand(word); });
  const CopyTree tree = open_copy_tree(s_, plan_, plan, state_.config.platform, copy.range);
  // BuildKit allows a wildcard that matches nothing (AllowEmptyWildcard): it copies nothing.
  // --exclude and --parents narrow each source to a view of the tree (filter.h); heredoc and
  // URL sources are single files, which neither flag filters.
  const NarrowedSources narrowed =
      narrow_sources(tree.context(), tree.sources(), copy.excludes, copy.parents);
  StepId step{s_.next_step(), step_name(plan.display)};
  // A cold COPY of one context directory writes its layer while it copies (follow.h), and where
  // a miss is likely starts before the checksums (builder/stage/early_layer.h).
  const std::optional<std::string> top =
      followed_copy_top(plan, tree.is_build_context(), narrowed.sources);
  std::optional<CopyRecorder> early_recorder;
  std::unique_ptr<EarlyLayer> early;
  if (top) {
    early = start_early(*top, [&](const std::filesystem::path& dir, snapshot::LayerFollower& f,
                                  const std::atomic<bool>& stop) {
      copy_to_layer(dir, plan, tree.context(), narrowed.sources, std::nullopt,
                    &early_recorder.emplace(), &f, &stop);  // this thread's until taken
    });
  }
  CopyEffectInputs effects;
  effects.from_chain = tree.from_chain();
  effects.checksums = checksum_copy_sources(s_, tree, narrowed.sources);
  // --link: the files go into an empty layer whose key leaves the parent out (BuildKit merges
  // it onto the parent with MergeOp); a --chown name is resolved against the parent first.
  if (plan.link_layer && !plan.chown.empty()) {
    effects.linked_owner = resolve_linked_owner(s_, state_.layers, plan.chown);
  }
  StepInputs in{.inputs = copy_cache_inputs(plan, effects),
                .independent_of_parent = plan.link_layer,
                .on_miss = {},
                .followed = {}};
  // A miss of a plain COPY records what it copied, and starts from the previous result of the
  // same COPY when there is one (reuse.h); --no-cache records without starting from it.
  std::string scope;
  std::optional<CopyRecorder> recorder;
  auto copy_files = [&](const std::filesystem::path& root, const StepId&) {
    copy_to_layer(root, plan, tree.context(), narrowed.sources, effects.linked_owner,
                  recorder ? &*recorder : nullptr);
  };
  if (copy_reusable(plan, tree.is_build_context(), narrowed.sources)) {
    in.on_miss = [&](const nlohmann::json& inputs) -> std::optional<Seed> {
      scope = copy_reuse_scope(inputs);
      recorder = no_cache_ ? std::nullopt : earlier_copy_result(s_, scope);
      if (!recorder) {
        recorder.emplace();
        return std::nullopt;
      }
      const CopyManifest& earlier = recorder->earlier_manifest();
      auto on_upper = [&, parent = state_.chain](const std::filesystem::path& upper,
                                                 const StepId&) {
        return copy_on_upper(s_, parent, upper, plan, tree.context(), narrowed.sources, *recorder);
      };
      return Seed{on_upper, {earlier.snapshot, earlier.layer, earlier.source_date_epoch}};
    };
  }
  bool followed_tried = false;
  if (top) {
    in.followed = StepInputs::Followed{
        *top,
        [&](const std::filesystem::path& dir, const StepId&, snapshot::LayerFollower& follower) {
          followed_tried = true;
          copy_to_layer(dir, plan, tree.context(), narrowed.sources, effects.linked_owner,
                        recorder ? &*recorder : nullptr, &follower);
        },
        early.get()};
  }
  layer_step(step, copy, std::move(in), plan.created_by,
             [&](const std::filesystem::path& rootfs, const StepId& id) {
               // Seeding, or copying with the layer alongside, did not make the result.
               if (recorder && (recorder->seeded() || followed_tried)) recorder.emplace();
               copy_files(rootfs, id);
             });
  if (early && early->taken()) recorder = std::move(early_recorder);
  if (recorder) store_copy_result(s_, state_, scope, *recorder);
}

void StageBuilder::do_workdir(const parser::Workdir& workdir) {
  WorkdirPlan plan = plan_workdir(expand(workdir.path), state_.config.config.working_dir,
                                  state_.config.config.user);
  state_.config.config.working_dir = plan.path;
  if (!plan.makes_layer) {
    add_history(plan.created_by, true);
    return;
  }
  StepId step{s_.next_step(), step_name(plan.created_by)};
  const std::string user = state_.config.config.user;
  layer_step(step, workdir,
             StepInputs{.inputs = std::move(plan.inputs),
                        .independent_of_parent = false,
                        .on_miss = {},
                        .followed = {}},
             plan.created_by, [&](const std::filesystem::path& rootfs, const StepId&) {
               make_workdir(rootfs, plan.path, user);
             });
}

}  // namespace mybuild::builder
