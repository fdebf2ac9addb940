// A layer written while a copy fills an overlay upper dir (issue 17): the copy reports each entry
// as it finishes it, in the order it makes them, and a thread writes that entry's tar entry
// meanwhile -- on the other core, reading each file while it is still in the page cache -- so
// the layer is done soon after the copy instead of a full diff after it.
//
// The result must be byte for byte what diff_overlay_upper writes for the finished upper dir.
// A regular file, symlink or special file is read from the upper dir once the copy reports it
// final. A directory's header goes out before its entries, yet the copy sets its mode, times and
// xattrs after them; so the copy reports the state a directory WILL have (dir()), and finish()
// walks the finished upper dir (names and lstat only, no file data) and checks that it holds
// exactly the entries streamed, in diff order, each as streamed. Anything else -- an entry
// changed after it was streamed, an order other than the diff's, a directory that ended
// otherwise than announced, an error on the thread -- makes finish() say nullopt, and the
// caller drops the stream and diffs the upper dir as usual. Hence the fast path can only ever
// write the normal path's bytes.
//
// Hard links: LayerWriter remembers a regular file as a link target only when its link count
// is above one, but a copy makes the second name after the first was streamed. Every regular
// file is remembered here: a file that ends with one link has no other name in the upper dir
// (the copy never links outside it), so remembering it changes nothing.
#pragma once

#include <sys/stat.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/io.h"
#include "common/unique_fd.h"
#include "snapshot/layer_writer.h"

namespace mybuild::snapshot {

class LayerFollower {
 public:
  // Follows a copy into `upper` (a fresh, otherwise untouched overlay upper dir), writing the
  // layer to `out` with `options`.
  LayerFollower(const std::filesystem::path& upper, common::Writer& out,
                const LayerOptions& options);
  ~LayerFollower();  // stops the thread (the stream is then partial)
  LayerFollower(const LayerFollower&) = delete;
  LayerFollower& operator=(const LayerFollower&) = delete;

  // `rel` (a path in the upper dir) is final: nothing will change it any more.
  void entry(const std::string& rel);
  // Directory `rel` exists and will end as `final_st` says (type, mode, owner, mtime) with the
  // layer xattrs `xattrs_of` (a host path: the directory it copies them from) has now. Its
  // entries follow.
  void dir(const std::string& rel, const struct stat& final_st,
           const std::filesystem::path& xattrs_of);

  // Call once the copy is done: the layer, or nullopt when the stream is not the upper dir's
  // diff (see above; `out` then holds a stream to drop).
  std::optional<Layer> finish();

 private:
  struct Event {
    std::string rel;
    bool is_dir = false;
    struct stat st {};
    std::filesystem::path xattrs_of;
  };
  // What went into the stream for one entry, to check against the finished upper dir.
  struct Streamed {
    std::string rel;
    struct stat st {};
    std::vector<std::pair<std::string, std::string>> xattrs;  // directories only
  };

  void push(Event event);
  void run();
  void write(const Event& event);
  int parent_fd(const std::string& rel);
  bool upper_matches();
  bool dir_matches(int dirfd, const std::string& prefix, size_t& next);

  std::filesystem::path upper_;
  LayerWriter writer_;
  common::UniqueFd root_;
  // Open directories from the root down to the last entry's parent: (path, fd).
  std::vector<std::pair<std::string, common::UniqueFd>> open_dirs_;
  std::vector<Streamed> streamed_;
  std::string failure_;  // the thread's error, when it stopped on one

  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<Event> queue_;
  bool closing_ = false;               // no more events (finish) or give up (destructor)
  std::atomic<bool> abandon_ = false;  // the destructor: stop, even within a batch
  std::thread thread_;
};

}  // namespace mybuild::snapshot
