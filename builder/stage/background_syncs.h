// BackgroundSyncs: the disk sync of a snapshot written without an overlay mount, run beside the
// rest of the build. A step that writes through an overlay mount gets its files to the disk when
// the mount goes (ovl_sync_fs), beside the diff. A COPY written straight into its snapshot's own
// dir (builder/copy/follow.h, reuse.h) has no unmount, and a sync in the step would cost it what
// its fast path saves (0.3-0.5 s for the cold 313 MB context). So the sync starts when the files
// are complete and the build waits for every one before it names an image (wait_all), and before
// the store closes. Until then, the snapshot is committed but its files may be only in the page
// cache: a process killed meanwhile loses nothing (the kernel writes them back), and only a power
// loss in that window can leave a cut file, as for any snapshot the copy-based snapshotter writes.
#pragma once

#include <filesystem>
#include <future>
#include <mutex>
#include <vector>

namespace mybuild::builder {

class BackgroundSyncs {
 public:
  BackgroundSyncs() = default;
  ~BackgroundSyncs();  // waits for every sync; a failure is logged (the build already failed)
  BackgroundSyncs(const BackgroundSyncs&) = delete;
  BackgroundSyncs& operator=(const BackgroundSyncs&) = delete;

  // Starts syncfs(2) of the file system holding `dir`, in a thread of its own.
  void start(const std::filesystem::path& dir);
  // Waits for every sync started; throws the first failure (the call and the directory).
  void wait_all();

 private:
  std::mutex mu_;
  std::vector<std::future<void>> pending_;
};

}  // namespace mybuild::builder
