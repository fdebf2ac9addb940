// StageBuilder: runs one stage's instructions in order on a StageResult, BuildKit's
// dispatchState: config-only instructions edit the image config and add a history entry;
// RUN, COPY, ADD and WORKDIR change the filesystem through a snapshot and become layers,
// each looked up in the build cache first.
//
// Files: stage_builder.cc (the loop, ARG/ENV and the config instructions), step_run.cc (RUN),
// step_copy.cc (COPY, ADD, WORKDIR), step_cache.cc (keys, hits, misses).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "builder/stage/build_session.h"
#include "builder/stage/early_layer.h"
#include "common/trace.h"
#include "parser/word_env.h"
#include "parser/word_expansion.h"
#include "snapshot/layer_follow.h"

namespace mybuild::builder {

class StageBuilder {
 public:
  StageBuilder(BuildSession& session, const parser::Stage& stage, const StagePlan& plan);
  StageResult build();

 private:
  // One filesystem-changing step after the cache lookup missed: `act` gets the mounted rootfs
  // of a fresh snapshot over the current state and changes it.
  using Action = std::function<void(const std::filesystem::path& rootfs, const StepId& step)>;
  // An action on a new snapshot's own directory, hard-linking from an earlier result; false:
  // it declined (the result could differ from `act`'s), and the step runs `act` as usual.
  struct Seed {
    std::function<bool(const std::filesystem::path& upper, const StepId& step)> act;
    EarlierResult earlier;
  };
  struct StepInputs {
    nlohmann::json inputs = nlohmann::json::object();  // name -> value, for key and explanation
    // COPY --link: the step runs on an empty snapshot and its key leaves the parent out, so
    // its layer is reused on any base; the layer is then stacked on the current state.
    bool independent_of_parent = false;
    // Called on a miss with the step's complete inputs. A COPY that may start from its previous
    // result (builder/copy/reuse.h) returns an action that fills the new snapshot's own,
    // unmounted directory (overlay's upper dir) instead of `act`, and that result, whose layer
    // then makes most of the new one; nothing: `act` as usual.
    std::function<std::optional<Seed>(const nlohmann::json& inputs)> on_miss;
    // A COPY whose layer may be written while it copies (builder/copy/follow.h). Without a
    // seed, when the parent lacks `absent_top`: `act` fills the new snapshot's own directory,
    // unmounted, telling `follower` each finished entry; else, or when the follower's stream is
    // not the diff, the step runs as usual.
    struct Followed {
      std::string absent_top;
      std::function<void(const std::filesystem::path& dir, const StepId& step,
                         snapshot::LayerFollower& follower)>
          act;
      // The same copy started before the cache lookup (start_early), or null. Taken on a miss.
      EarlyLayer* early = nullptr;
    };
    std::optional<Followed> followed;
  };
  void layer_step(const StepId& step, const parser::InstructionCommon& where, StepInputs inputs,
                  const std::string& created_by, const Action& act);
  // The miss path of layer_step: `act` on a fresh snapshot over `parent`, then its diff as a
  // layer (nothing when the step changed no file) and the committed snapshot.
  std::optional<image::LayerRef> run_in_snapshot(const std::string& parent, const Action& act,
                                                 const StepId& step);
  // The same with an action on the snapshot's own directory, unmounted (StepInputs::on_miss).
  // False when it failed short of cancellation: the caller then runs the step as usual.
  bool run_on_upper(const std::string& parent, const Seed& seed, const StepId& step,
                    std::optional<image::LayerRef>& layer);
  // The same with StepInputs::followed: false when the parent has its top name, or the stream
  // was not the diff (the snapshot is then dropped), or it failed short of cancellation.
  bool run_followed(const std::string& parent, const StepInputs::Followed& followed,
                    const StepId& step, std::optional<image::LayerRef>& layer);
  // After a cache miss: the step's result over `parent`, the fastest way `in` allows (a copy
  // started early, a seed, a followed copy), else `act` in a mounted snapshot.
  std::optional<image::LayerRef> run_missed(const std::string& parent, const StepInputs& in,
                                            const StepId& step, const Action& act);
  // A followed COPY's `fill` started now, before its checksums and cache lookup, when a miss is
  // likely: no record at this step's place yet or --no-cache, no --cache-from, one platform, and
  // the parent lacks `absent_top`. Null otherwise (early_layer.h).
  std::unique_ptr<EarlyLayer> start_early(const std::string& absent_top, EarlyLayer::Fill fill);

  void dispatch(const parser::Instruction& instruction);
  void run_onbuild_triggers();

  void do_arg(const parser::Arg& arg);
  void do_env(const parser::EnvInstruction& env);
  void do_label(const parser::Label& label);
  void do_run(const parser::Run& run);
  void do_copy(const parser::Copy& copy);
  void do_workdir(const parser::Workdir& workdir);
  void do_config(const parser::Instruction& instruction);

  // Variables for word expansion: ARGs in scope, then ENV (ENV wins).
  parser::Env expansion_env() const;
  std::string expand(const std::string& word, parser::VariableUse* use = nullptr) const;
  std::vector<std::string> expand_split(const std::string& words) const;
  // The environment RUN gets: ENV plus ARGs with values that ENV does not override.
  std::vector<std::string> run_env() const;
  std::string step_name(const std::string& text) const;
  // `created` empty: the time of the last layer so far (config-only entries), so that a fully
  // cached rebuild writes the same config and gets the same image id (BuildKit does the same).
  void add_history(const std::string& created_by, bool empty_layer,
                   const std::string& created = "");
  std::string locator() const;

  BuildSession& s_;
  const parser::Stage& stage_;
  const StagePlan& plan_;
  StageResult state_;
  std::vector<std::pair<std::string, std::optional<std::string>>> args_;  // ARGs in scope
  int position_ = 1;  // BuildKit's [name i/n]: FROM is 1
  int total_ = 1;
  bool no_cache_ = false;
  bool cmd_set_ = false;
  // --trace: the span from an instruction's start to its layer_step (plan, sources, and a
  // COPY's context checksums), and the name layer_step gives the step's action.
  std::optional<common::TraceSpan> prepare_span_;
  std::string action_trace_name_;
  std::string last_time_;  // RFC 3339 time of the newest layer of this stage's image
  // Set by a step's action: runs on an overlay snapshot's own (upper) directory once the step's
  // processes are gone, before the unmount and the diff (RUN uses it to drop copied-up parents
  // of its mount stubs).
  std::function<void(const std::filesystem::path& snapshot_dir)> edit_upper_;
};

// BuildKit's default PATH for images that set none.
inline constexpr const char* kDefaultPath =
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

}  // namespace mybuild::builder
