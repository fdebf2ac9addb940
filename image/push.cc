#include "image/push.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <exception>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>
#include <vector>

#include "common/error.h"
#include "common/media_types.h"
#include "common/trace.h"

namespace mybuild::image {
namespace {

using common::Descriptor;
using common::Error;
using common::ErrorKind;
using nlohmann::json;
namespace mt = common::media_type;

// Indexes of indexes exist (BuildKit attestations nest one level); deeper is a loop or abuse.
constexpr int kMaxIndexDepth = 8;

// Everything under the root, checked present before the first request, so that a missing blob
// fails the push before anything is uploaded.
struct PushPlan {
  std::vector<Descriptor> blobs;      // configs and layers, each once
  std::vector<Descriptor> manifests;  // under an index: pushed by digest, children first
};

json read_document(const snapshot::ContentStore& content, const Descriptor& d) {
  if (!content.contains(d.digest)) {
    throw Error(ErrorKind::kNotFound, "manifest " + d.digest.str() + " is not in the local store");
  }
  json j = json::parse(content.read_small(d.digest), nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) {
    throw Error(ErrorKind::kIntegrity, "manifest " + d.digest.str() + " is not a JSON object");
  }
  return j;
}

void add_blob(const snapshot::ContentStore& content, const Descriptor& blob,
              const Descriptor& manifest, PushPlan& plan, std::set<common::Digest>& seen,
              const RemoteBlobs* remote) {
  if (!content.contains(blob.digest) && !(remote && remote->where.count(blob.digest))) {
    throw Error(ErrorKind::kNotFound, "blob " + blob.digest.str() + " of manifest " +
                                          manifest.digest.str() + " is not in the local store");
  }
  if (seen.insert(blob.digest).second) plan.blobs.push_back(blob);
}

void plan_push(const snapshot::ContentStore& content, const Descriptor& d, PushPlan& plan,
               std::set<common::Digest>& seen, int depth, const RemoteBlobs* remote) {
  if (depth > kMaxIndexDepth) {
    throw Error(
        ErrorKind::kIntegrity,
        "indexes nested deeper than " + std::to_string(kMaxIndexDepth) + " at " + d.digest.str());
  }
  json j = read_document(content, d);
  try {
    if (mt::is_index(d.media_type)) {
      for (const auto& entry : j.at("manifests").get<std::vector<Descriptor>>()) {
        plan_push(content, entry, plan, seen, depth + 1, remote);
        if (seen.insert(entry.digest).second) plan.manifests.push_back(entry);
      }
      return;
    }
    if (!mt::is_manifest(d.media_type)) {
      throw Error(ErrorKind::kUsage, d.digest.str() + " has media type \"" + d.media_type +
                                         "\", not an image manifest or index");
    }
    for (const auto& layer : j.at("layers").get<std::vector<Descriptor>>()) {
      add_blob(content, layer, d, plan, seen, remote);
    }
    add_blob(content, j.at("config").get<Descriptor>(), d, plan, seen, remote);
  } catch (const json::exception& e) {
    throw Error(ErrorKind::kIntegrity,
                "manifest " + d.digest.str() + " in the local store is malformed: " + e.what());
  }
}

// Uploads the blobs a few at a time; the first failure stops the others from starting new
// uploads and is rethrown on the calling thread (STYLE.md §3, worker threads).
void push_blobs(const snapshot::ContentStore& content, const std::vector<Descriptor>& blobs,
                registry::Client& client, const registry::Reference& dest, const PushLog& log,
                const std::optional<registry::Reference>& mount_from, const RemoteBlobs* remote,
                const TransferProgress& progress, PushReport& report) {
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex mu;  // guards report, log and first_error
  std::exception_ptr first_error;
  auto worker = [&] {
    for (size_t i; (i = next.fetch_add(1)) < blobs.size() && !failed.load();) {
      const Descriptor& d = blobs[i];
      common::TraceTrack track("upload " + d.digest.short_hex());
      common::TraceSpan span("push blob (" + push_size_text(d.size) + ")");
      try {
        std::optional<registry::Reference> from = mount_from;
        if (remote && !content.contains(d.digest)) {
          if (auto it = remote->where.find(d.digest); it != remote->where.end()) from = it->second;
        }
        auto open = [&content, &d, remote, &progress]() -> std::unique_ptr<common::Reader> {
          // Reached only when the destination lacks the blob and no mount worked.
          if (remote && remote->fetch && !content.contains(d.digest)) remote->fetch(d);
          return std::make_unique<CountingReader>(content.open(d.digest), d, progress);
        };
        registry::PushOutcome outcome = client.push_blob(dest, d, open, from);
        if (progress) progress(d, d.size, true);
        std::lock_guard lk(mu);
        std::string line = d.digest.short_hex() + ": ";
        switch (outcome) {
          case registry::PushOutcome::kExisted:
            ++report.blobs_existed;
            line += "Layer already exists";
            break;
          case registry::PushOutcome::kMounted:
            ++report.blobs_mounted;
            line += "Mounted from " + from->path;
            break;
          case registry::PushOutcome::kUploaded:
            ++report.blobs_uploaded;
            report.bytes_uploaded += d.size;
            line += "Pushed (" + push_size_text(d.size) + ")";
            break;
        }
        // docker lists the layers it pushes, not the config blob.
        const bool config = d.media_type == mt::kOciConfig || d.media_type == mt::kDockerConfig;
        if (log && !config) log(line);
      } catch (...) {
        std::lock_guard lk(mu);
        if (!first_error) first_error = std::current_exception();
        failed = true;
        return;
      }
    }
  };
  std::vector<std::thread> threads;
  size_t parallel = static_cast<size_t>(client.max_concurrent_transfers());
  for (size_t i = 0; i < std::min(parallel, blobs.size()); ++i) threads.emplace_back(worker);
  for (auto& t : threads) t.join();
  if (first_error) std::rethrow_exception(first_error);
}

}  // namespace

std::string push_size_text(int64_t bytes) {
  char buf[32];
  if (bytes < 1000) {
    std::snprintf(buf, sizeof buf, "%lld B", static_cast<long long>(bytes));
  } else if (bytes < 1000 * 1000) {
    std::snprintf(buf, sizeof buf, "%.1f kB", static_cast<double>(bytes) / 1e3);
  } else {
    std::snprintf(buf, sizeof buf, "%.1f MB", static_cast<double>(bytes) / 1e6);
  }
  return buf;
}

PushReport push_image(const snapshot::ContentStore& content, const Descriptor& target,
                      registry::Client& client, const registry::Reference& dest, const PushLog& log,
                      const std::optional<registry::Reference>& mount_from,
                      const RemoteBlobs* remote, const TransferProgress& progress) {
  registry::Reference tag = dest;
  if (tag.tag.empty() && !tag.digest) tag.tag = "latest";
  try {
    if (tag.digest && *tag.digest != target.digest) {
      throw Error(ErrorKind::kUsage, "cannot push " + target.digest.str() + " as " +
                                         tag.digest->str() + ": a digest names its content");
    }
    PushPlan plan;
    std::set<common::Digest> seen;
    plan_push(content, target, plan, seen, 0, remote);

    PushReport report;
    push_blobs(content, plan.blobs, client, tag, log, mount_from, remote, progress, report);
    for (const auto& m : plan.manifests) {
      client.push_manifest(tag.with_digest(m.digest), m.media_type, content.read_small(m.digest));
    }
    // The manifest under the tag goes last (with_digest above dropped the tag).
    registry::Reference root = tag;
    if (!root.tag.empty()) root.digest.reset();
    report.digest =
        client.push_manifest(root, target.media_type, content.read_small(target.digest));
    return report;
  } catch (common::Error& e) {
    e.add_context("pushing " + tag.str());
    throw;
  }
}

}  // namespace mybuild::image
