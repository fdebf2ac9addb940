// LayerWriter: one streaming pass from file system entries to a stored layer blob.
//
//   entries -> TarWriter -> sha256 (diff_id) -> Compressor -> sha256 (blob digest) -> out
//
// Nothing is held in proportion to the layer: file contents stream through kCopyBufferSize
// buffers, the compressor holds a few MiB at most. What is remembered is one (dev, inode) ->
// path record per hard-linked file, so later links become tar hard links.
//
// Entries must be added in the order they should appear (diff.h and write_tree_layer walk
// each directory in byte order of names, as containerd's walk does); the writer does not
// sort. With LayerOptions::source_date_epoch set, every mtime later than it is clamped to it
// (reproducible-builds.org SOURCE_DATE_EPOCH; BuildKit's rewrite-timestamp does the same).
//
// Not thread-safe (the compressor has its own worker threads).
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/descriptor.h"
#include "common/digest.h"
#include "common/io.h"
#include "common/pipelined_writer.h"
#include "snapshot/compression.h"
#include "snapshot/tar_writer.h"

namespace mybuild::snapshot {

struct LayerOptions {
  Compression compression = Compression::kGzip;
  int level = kDefaultLevel;
  int threads = 0;  // compressor threads; 0 = up to two
  std::optional<int64_t> source_date_epoch;
  // The writer given to LayerWriter hashes every byte itself (a content-store writer, which
  // verifies at commit). With Compression::kNone the blob is the tar, so the layer writer then
  // does not hash the same bytes a second time: finish() leaves diff_id and the descriptor's
  // digest empty, and the caller takes both from the sink (BuildStore::write_diff).
  bool sink_hashes = false;
};

struct Layer {
  common::Descriptor descriptor;  // media type, digest and size of the compressed blob
  common::Digest diff_id;         // sha256 of the uncompressed tar (image config rootfs)
  int64_t uncompressed_size = 0;
};

// The whiteout names of the OCI image spec (layer.md, "Whiteouts").
inline constexpr std::string_view kWhiteoutPrefix = ".wh.";
inline constexpr std::string_view kOpaqueWhiteout = ".wh..wh..opq";

class LayerWriter {
 public:
  LayerWriter(common::Writer& out, LayerOptions options);
  ~LayerWriter();
  LayerWriter(const LayerWriter&) = delete;
  LayerWriter& operator=(const LayerWriter&) = delete;

  // Adds the file `name` in directory `dirfd` (never following a final symlink) as tar path
  // `path`, with its type, mode, owner, mtime, xattrs, link target and content. `st` is its
  // lstat. Overlay's own xattrs (trusted.overlay.*, user.overlay.*) are left out.
  void add(const std::string& path, int dirfd, const char* name, const struct stat& st);
  // Adds a directory from its stat and its layer xattrs (layer_xattrs) as given, without
  // reading it: a writer that follows a copy (layer_follow.h) knows a directory's final state
  // before the copy has set it.
  void add_dir(const std::string& path, const struct stat& st,
               std::vector<std::pair<std::string, std::string>> xattrs);
  // Marks `path` deleted: writes `<dir>/.wh.<base>`.
  void add_whiteout(const std::string& path);
  // Marks directory `dir_path` opaque: writes `<dir_path>/.wh..wh..opq`.
  void add_opaque(const std::string& dir_path);

  // Ends the tar and the compressed stream; returns what was written. Call once.
  Layer finish();

 private:
  TarEntry marker_entry(std::string path) const;
  // path, mode, owner and mtime (clamped to source_date_epoch) of an entry with lstat `st`.
  TarEntry stat_entry(const std::string& path, const struct stat& st) const;

  LayerOptions options_;
  // Tar headers are 512 bytes (one write(2) each otherwise), and the blob is written on the
  // pipeline's thread while the next files are read.
  common::PipelinedWriter buffered_;
  common::DigestingWriter blob_;  // hashes compressed output (uncompressed: blob == tar)
  std::unique_ptr<Compressor> compressor_;
  // Counts the tar's bytes and hashes them unless the sink does (LayerOptions::sink_hashes).
  class TarBytes : public common::Writer {
   public:
    TarBytes(common::Writer& next, bool hash) : next_(next), hash_(hash) {}
    void write(std::string_view data) override {
      if (hash_) sha_.update(data);
      bytes_ += data.size();
      next_.write(data);
    }
    uint64_t bytes() const { return bytes_; }
    std::optional<common::Digest> finish() {
      return hash_ ? std::optional(sha_.finish()) : std::nullopt;
    }

   private:
    common::Writer& next_;
    bool hash_;
    common::Sha256 sha_;
    uint64_t bytes_ = 0;
  };

  TarBytes tar_bytes_;
  TarWriter tar_;
  std::map<std::pair<dev_t, ino_t>, std::string> links_;
};

// Writes every entry under `root` (not `root` itself) as one layer, in walk order. Used for
// base layers (import) and by the benchmark; the diff paths live in diff.h.
Layer write_tree_layer(const std::filesystem::path& root, common::Writer& out,
                       const LayerOptions& options);

// Lists a directory's entry names in byte order, without "." and "..". Throws kResource.
std::vector<std::string> sorted_names(int dirfd, const std::string& what);

// Reads the xattrs of `name` in `dirfd` (not following a final symlink) that belong in a layer
// (all but overlay's own), sorted by name. Missing support (ENOTSUP) gives an empty list.
std::vector<std::pair<std::string, std::string>> layer_xattrs(int dirfd, const char* name);

}  // namespace mybuild::snapshot
