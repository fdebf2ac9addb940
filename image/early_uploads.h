// Uploads the layers a push has to convert while the converter compresses the next one: on two
// cores, compressing and uploading then overlap instead of taking turns (a cold push of a built
// 1 GiB image took 10.5 s converting first, against skopeo's 7.5 s compressing as it streams).
// push_image afterwards finds these blobs present and sends only what is left and the manifests.
// A layer being compressed goes up while it is compressed (tap(): image/streamed_upload.h), so
// a one-layer image no longer compresses first and uploads after (issue 17).
//
//   EarlyUploads early(store.content, client, dest);
//   target = converter.convert(target, format, log,
//                              [&](const Descriptor& d) { early.add(d); }, early.tap()).root;
//   early.finish();  // rethrows the first failed upload
//   push_image(store.content, target, client, dest, early.relabel(log));
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <map>
#include <mutex>
#include <thread>

#include "common/descriptor.h"
#include "image/layer_convert.h"
#include "image/push.h"
#include "registry/client.h"
#include "registry/reference.h"
#include "snapshot/content_store.h"

namespace mybuild::image {

class EarlyUploads {
 public:
  EarlyUploads(const snapshot::ContentStore& content, registry::Client& client,
               registry::Reference dest);
  // Stops after the upload under way and joins (a failed conversion must not wait for a queue).
  ~EarlyUploads();
  EarlyUploads(const EarlyUploads&) = delete;
  EarlyUploads& operator=(const EarlyUploads&) = delete;

  // Queues a blob that is complete in the content store (unless a tap sent it already).
  void add(const common::Descriptor& blob);
  // For LayerConverter::convert: streams each layer to the registry as it is compressed.
  OpenLayerTap tap();
  // Waits for every queued upload; rethrows the first failure.
  void finish();

  // push_image's log with "Layer already exists" said as "Pushed" for the blobs uploaded here,
  // so the user sees one line per layer, as docker prints them.
  PushLog relabel(const PushLog& log) const;
  // Adds the uploads done here to push_image's counts (which saw them as existing).
  void account(PushReport& report) const;

 private:
  void run();

  const snapshot::ContentStore& content_;
  registry::Client& client_;
  registry::Reference dest_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<common::Descriptor> queue_;
  std::map<common::Digest, int64_t> uploaded_;  // digest -> size
  bool busy_ = false;
  bool stop_ = false;
  std::exception_ptr error_;
  std::thread worker_;
};

}  // namespace mybuild::image
