// --cache-to: the step records a build used or made, written where the flag says once the image
// is done (builder/stage/cache_import.h reads them back).
//
// mode=min (BuildKit's default) exports the records of the final image's steps: the target
// stage and the stages it is FROM. mode=max exports every step of every stage built. Layers go
// out in the --cache-to compression= (else --compression): the layer converter's table makes
// them the very blobs an image push of the same build sends, so a registry holding both keeps
// each layer once and the second push of it is an existence check.
#pragma once

#include <mutex>
#include <string>
#include <vector>

#include "builder/stage/build_cache.h"
#include "builder/stage/cache_import.h"
#include "builder/stage/plan.h"
#include "image/cache_records.h"
#include "image/cache_spec.h"
#include "image/config.h"
#include "image/layer_convert.h"

namespace mybuild::builder {

struct BuildSession;

// What the stages hit or made, in the order the steps finished (thread-safe).
class CacheNotes {
 public:
  void note(int stage, const CacheRecord& record, const std::string& created_by);
  // The records `mode` exports, each key once. Pure: unit-tested without a store.
  std::vector<image::CacheEntry> select(image::CacheMode mode, const BuildPlan& plan) const;

 private:
  struct Noted {
    int stage = 0;
    image::CacheEntry entry;
  };
  mutable std::mutex mu_;
  std::vector<Noted> noted_;
};

// type=inline: the final image's records into `config` (before the image is written).
void add_inline_cache(const BuildSession& session, image::ImageConfig& config);

// Every other --cache-to, after the image is written (and pushed), through `session` (the
// build's own steps). The records are those of every session in `platforms` (each key once):
// a --platform a,b build writes one cache holding both platforms' steps, as buildx does. A
// failure throws unless the spec says ignore-error=true (then it is a warning).
void export_caches(BuildSession& session, const std::vector<const BuildSession*>& platforms,
                   image::LayerConverter& converter);

}  // namespace mybuild::builder
