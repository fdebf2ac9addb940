// A followed COPY (builder/copy/follow.h) started before its cache key is known (issue 17): the
// key needs the context's checksums, which read every file, and a cold COPY then reads them
// again to copy them. Started first, the copy (and the layer written behind it) runs on one
// core while the checksums run on the other; the step takes the result on a miss, and on a hit
// the copy is stopped and its snapshot dropped. StageBuilder starts one only where a miss is
// likely (start_early: no record of this step yet, or --no-cache).
#pragma once

#include <atomic>
#include <filesystem>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>

#include "builder/stage/build_store.h"
#include "image/layer_ref.h"
#include "snapshot/layer_follow.h"

namespace mybuild::builder {

class EarlyLayer {
 public:
  // Copies into the snapshot's own dir, telling the follower each finished entry; stops (throws)
  // once `stop` is set.
  using Fill =
      std::function<void(const std::filesystem::path& dir, snapshot::LayerFollower& follower,
                         const std::atomic<bool>& stop)>;

  // Starts `fill` on a new snapshot over committed `parent`, in a thread of its own.
  EarlyLayer(BuildStore& store, const std::string& parent, const snapshot::LayerOptions& options,
             Fill fill);
  ~EarlyLayer();  // unless taken: stops the copy, waits for it and drops its snapshot
  EarlyLayer(const EarlyLayer&) = delete;
  EarlyLayer& operator=(const EarlyLayer&) = delete;

  const std::string& parent() const { return parent_; }
  // Waits for the copy: its layer, the snapshot committed as its chain over parent(); nullopt
  // when it failed or its stream was refused (the step then runs as usual).
  std::optional<image::LayerRef> take();
  bool taken() const { return taken_; }

 private:
  std::string parent_;
  std::unique_ptr<ScopedSnapshot> snap_;
  std::atomic<bool> stop_ = false;
  std::future<std::optional<image::LayerRef>> result_;
  bool taken_ = false;
};

}  // namespace mybuild::builder
