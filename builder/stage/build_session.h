// What every stage of one build shares: the request, the store, the context, progress, the
// cancel token, the plan, and the results of other stages (which a stage waits for, through
// the StageScheduler, scheduler.h). Internal to builder/; build_session.cc holds the methods.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <semaphore>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "builder/build_request.h"
#include "builder/context/checksum_memo.h"
#include "builder/context/file_checksum.h"
#include "builder/context/root.h"
#include "builder/progress.h"
#include "builder/stage/build_cache.h"
#include "builder/stage/build_store.h"
#include "builder/stage/cache_export.h"
#include "builder/stage/cache_import.h"
#include "builder/stage/plan.h"
#include "builder/stage/step_locks.h"
#include "common/cancel.h"
#include "image/config.h"
#include "image/pull.h"
#include "parser/ast.h"
#include "registry/client.h"
#include "snapshot/layer_writer.h"

namespace mybuild::builder {

// A stage's outcome: its image config and layers (the filesystem is the snapshot of `layers`).
struct StageResult {
  image::ImageConfig config;
  std::vector<image::LayerRef> layers;
  std::string chain;  // chain_id_of(layers)
  // How much of layers and config.history came with the base image (an earlier stage passes
  // its own on): the rest is this build's, what --single-snapshot squashes.
  size_t base_layers = 0;
  size_t base_history = 0;
};

struct BuildSession {
  BuildSession(const BuildRequest& r, BuildStore& st, const BuildContext& ctx, ProgressSink& p,
               common::CancelToken& c, const parser::Dockerfile& df, const BuildPlan& pl)
      : request(r), store(st), context(ctx), progress(p), cancel(c), dockerfile(df), plan(pl) {}

  const BuildRequest& request;
  BuildStore& store;
  const BuildContext& context;
  ProgressSink& progress;
  common::CancelToken& cancel;
  const parser::Dockerfile& dockerfile;
  const BuildPlan& plan;
  std::string created;  // RFC 3339 time written into configs and history
  snapshot::LayerOptions layer_options;
  std::counting_semaphore<64>* slots = nullptr;  // --jobs: steps running at once

  // Waits for stage `index` (a dependency) and returns its result; throws when it failed.
  std::function<const StageResult&(int index)> stage_result;

  // File content hashes remembered across builds (not thread-safe: memo_mu).
  std::mutex memo_mu;
  std::unique_ptr<FileHashMemo> memo;

  // Base images: found in the store or pulled once per reference, whichever stage asks first.
  image::LocalImage base_image(const std::string& ref, const common::Platform& platform,
                               const StepId& step);

  // Build args some ARG declared (for the "not consumed" warning).
  void consume_arg(const std::string& name) {
    std::lock_guard lock(mu);
    consumed_args.insert(name);
  }

  int next_step() { return ++(shared_step_counter ? *shared_step_counter : step_counter); }

  // Set when this session builds one platform of several (--platform a,b): the platform that
  // prefixes its step names ("[linux/arm64 build 2/3]", as buildx shows them), the step numbers
  // and the per-key step locks all platforms share.
  std::string platform_label;
  std::atomic<int>* shared_step_counter = nullptr;
  StepLocks* step_locks = nullptr;

  // Cache records through the store's lock.
  std::optional<CacheRecord> cache_lookup(const std::string& key);
  std::optional<CacheRecord> cache_last(const std::string& locator);
  void cache_store(const CacheRecord& record);
  // A record whose result can be used: the store's own (its layer present), else an imported
  // one (--cache-from; its layer is fetched later, when needed).
  std::optional<CacheRecord> cache_hit(const std::string& key);
  // How context files are summed for cache keys. With --cache-from/--cache-to the key leaves
  // mtimes out, as BuildKit's does: a CI runner's fresh clone has the checkout time on every
  // file, and a key that must hit on another runner cannot hold it (a hit then reuses the
  // exported layer, with the exporting runner's mtimes, as BuildKit does).
  ChecksumOptions checksum_options() const {
    ChecksumOptions o;
    o.include_mtime = request.cache_from.empty() && request.cache_to.empty();
    return o;
  }
  CacheImports* imports = nullptr;  // --cache-from; null without
  // Reads the --cache-from caches into `i` and makes the store fetch their layers on demand.
  void use_imports(CacheImports& i, std::span<const common::Platform> platforms);
  CacheNotes cache_notes;  // for --cache-to

  std::mutex mu;
  std::set<std::string> consumed_args;
  std::atomic<int> step_counter{0};
  std::atomic<int> cached_steps{0};
  std::atomic<int> total_steps{0};
  std::unique_ptr<registry::Client> client;         // made on first pull
  std::map<std::string, image::LocalImage> pulled;  // by ref + platform
  std::mutex pull_mu;
};

}  // namespace mybuild::builder
