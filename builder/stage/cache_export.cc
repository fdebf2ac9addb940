#include "builder/stage/cache_export.h"

#include <chrono>
#include <nlohmann/json.hpp>
#include <set>

#include "builder/stage/build_session.h"
#include "builder/stage/cache_mount_export.h"
#include "common/error.h"
#include "image/cache_transfer.h"
#include "image/registry_options.h"
#include "image/writer.h"
#include "registry/reference.h"

namespace mybuild::builder {

using common::Error;
using Clock = std::chrono::steady_clock;

void CacheNotes::note(int stage, const CacheRecord& record, const std::string& created_by) {
  image::CacheEntry e;
  e.key = record.key;
  e.inputs = record.inputs;
  e.created_by = created_by;
  e.created_at = record.created_at;
  e.layer = record.layer;
  std::lock_guard lock(mu_);
  noted_.push_back({stage, std::move(e)});
}

std::vector<image::CacheEntry> CacheNotes::select(image::CacheMode mode,
                                                  const BuildPlan& plan) const {
  std::set<int> stages;  // min: the target and the stages it is built FROM
  for (std::optional<int> s = plan.target; s; s = plan.stages[static_cast<size_t>(*s)].base_stage) {
    stages.insert(*s);
  }
  std::vector<image::CacheEntry> out;
  std::set<std::string> keys;
  std::lock_guard lock(mu_);
  for (const auto& n : noted_) {
    if (mode == image::CacheMode::kMin && !stages.count(n.stage)) continue;
    if (keys.insert(n.entry.key).second) out.push_back(n.entry);
  }
  return out;
}

namespace {

image::LayerFormat format_of(const BuildRequest& request, const image::CacheSpec& spec) {
  if (spec.compression) return image::parse_layer_format(*spec.compression, spec.compression_level);
  return image::parse_layer_format(request.compression, request.compression_level);
}

// The entries with their layers in `format`: converted through a throwaway manifest of the
// distinct layers, so the converter's table is shared with the image push.
std::vector<image::CacheEntry> converted(BuildSession& session, image::LayerConverter& converter,
                                         std::vector<image::CacheEntry> entries,
                                         const image::LayerFormat& format) {
  const snapshot::ContentStore& content = session.store.content();
  std::vector<image::LayerRef> layers;
  std::set<common::Digest> seen;
  for (const auto& e : entries) {
    if (!e.layer || !seen.insert(e.layer->blob.digest).second) continue;
    auto have = snapshot::compression_of_media_type(e.layer->blob.media_type);
    if (!content.contains(e.layer->blob.digest) && have != format.compression && session.imports) {
      session.imports->fetch(e.layer->blob);  // it needs converting, so its bytes
    }
    layers.push_back(*e.layer);
  }
  if (layers.empty()) return entries;
  image::ImageConfig config;
  config.platform = common::Platform::host();
  for (const auto& l : layers) config.diff_ids.push_back(l.diff_id);
  image::WrittenImage tmp = image::write_image(content, config, layers);
  common::Descriptor out = converter.convert(tmp.manifest, format).root;
  auto m = nlohmann::json::parse(content.read_small(out.digest));
  std::map<common::Digest, common::Descriptor> to;
  for (size_t i = 0; i < layers.size(); ++i) {
    to[layers[i].blob.digest] = m.at("layers").at(i).get<common::Descriptor>();
  }
  for (auto& e : entries) {
    if (e.layer) e.layer->blob = to.at(e.layer->blob.digest);
  }
  return entries;
}

// What `mode` exports of every platform's steps, each key once (a stage every platform shares,
// $BUILDPLATFORM's, has one key).
std::vector<image::CacheEntry> selected_records(const std::vector<const BuildSession*>& platforms,
                                                image::CacheMode mode) {
  std::vector<image::CacheEntry> out;
  std::set<std::string> keys;
  for (const BuildSession* p : platforms) {
    for (auto& e : p->cache_notes.select(mode, p->plan)) {
      if (keys.insert(e.key).second) out.push_back(std::move(e));
    }
  }
  return out;
}

void export_one(BuildSession& session, const std::vector<const BuildSession*>& platforms,
                image::LayerConverter& converter, const image::CacheSpec& spec,
                const StepId& step) {
  const image::LayerFormat format = format_of(session.request, spec);
  std::vector<image::CacheEntry> entries =
      converted(session, converter, selected_records(platforms, spec.mode), format);
  auto log = [&](std::string_view line) {
    session.progress.step_log(step, std::string(line) + "\n");
  };
  std::vector<image::CacheMountEntry> mounts = export_cache_mounts(session, spec, format, log);
  const image::RemoteBlobs* remote = session.imports ? session.imports->remote_blobs() : nullptr;
  if (spec.type == "local") {
    image::write_local_cache(session.store.content(), spec.dir, entries, mounts,
                             [&](const common::Descriptor& d) {
                               if (!session.imports || !session.imports->fetch(d)) {
                                 throw Error(common::ErrorKind::kNotFound,
                                             "layer " + d.digest.str() + " is not in the store");
                               }
                             });
  } else {
    registry::ClientOptions options = image::registry_client_options(session.request.registry);
    options.cancel = &session.cancel;
    registry::Client client(options);
    image::PushReport report = image::push_registry_cache(session.store.content(), client,
                                                          registry::parse_reference(spec.ref),
                                                          entries, mounts, remote, log);
    log("cache manifest " + report.digest.str() + ": " + std::to_string(report.blobs_uploaded) +
        " blobs uploaded (" + std::to_string(report.bytes_uploaded) + " bytes), " +
        std::to_string(report.blobs_existed) + " existed, " + std::to_string(report.blobs_mounted) +
        " mounted");
  }
  log(std::to_string(entries.size()) + " cache records, " + std::to_string(mounts.size()) +
      " cache mounts");
}

}  // namespace

void add_inline_cache(const BuildSession& session, image::ImageConfig& config) {
  for (const auto& spec : session.request.cache_to) {
    if (spec.type != "inline") continue;
    // Inline is min only (as BuildKit): the image's own layers are the only blobs it has.
    std::vector<image::CacheEntry> entries =
        session.cache_notes.select(image::CacheMode::kMin, session.plan);
    config.extra[std::string(image::kInlineCacheKey)] =
        nlohmann::json::parse(image::encode_inline_records(entries));
    return;
  }
}

void export_caches(BuildSession& session, const std::vector<const BuildSession*>& platforms,
                   image::LayerConverter& converter) {
  for (const auto& spec : session.request.cache_to) {
    if (spec.type == "inline") continue;
    std::string name = spec.type == "local" ? spec.dir : spec.ref;
    StepId step{session.next_step(), "exporting cache to " + name};
    auto started = Clock::now();
    session.progress.step_state(step, StepState::kStarted, {});
    try {
      export_one(session, platforms, converter, spec, step);
    } catch (const Error& e) {
      if (e.kind() == common::ErrorKind::kCancelled || !spec.ignore_error) {
        session.progress.step_state(step, StepState::kFailed, Clock::now() - started);
        throw;
      }
      session.progress.message("WARN: exporting cache to " + name +
                               " failed (ignore-error): " + e.what());
    }
    session.progress.step_state(step, StepState::kDone, Clock::now() - started);
  }
}

}  // namespace mybuild::builder
