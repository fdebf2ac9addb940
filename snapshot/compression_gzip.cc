// Parallel gzip in the manner of pigz, but with independent members: each kGzipBlockSize slice
// of input becomes one complete gzip member (snapshot/gzip_block.h: ISA-L for the default and
// levels 1..3, libdeflate for 0 and 4..12), so blocks need no shared dictionary and any number
// of threads gives byte-identical output. The cost of independent blocks is ~0.1% size (lost
// 32 KiB window at each 1 MiB boundary); RFC 1952 §2.2 allows the members, and gzip, zlib,
// Go's compress/gzip, Python's gzip and libarchive read them as one stream.
#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/error.h"
#include "snapshot/compression_internal.h"
#include "snapshot/gzip_block.h"

namespace mybuild::snapshot::internal {
namespace {

struct GzipJob {
  std::string input;
  std::promise<std::string> result;
};

class GzipCompressor : public Compressor {
 public:
  GzipCompressor(common::Writer& out, int level, int threads)
      : out_(out), level_(resolve_gzip_level(level)) {
    max_spare_ = 4 * static_cast<size_t>(threads) + 4;  // before the workers read it
    for (int i = 0; i < threads; ++i) workers_.emplace_back([this] { work(); });
    block_.reserve(kGzipBlockSize);
  }

  ~GzipCompressor() override {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    for (auto& t : workers_) t.join();
  }
  GzipCompressor(const GzipCompressor&) = delete;
  GzipCompressor& operator=(const GzipCompressor&) = delete;

  void write(std::string_view data) override {
    while (!data.empty()) {
      size_t n = std::min(data.size(), kGzipBlockSize - block_.size());
      block_.append(data.substr(0, n));
      data.remove_prefix(n);
      if (block_.size() == kGzipBlockSize) submit();
    }
  }

  void finish() override {
    // An empty stream is still one (empty) gzip member, as gzip itself writes.
    if (!block_.empty() || !any_block_) submit();
    while (!pending_.empty()) drain_one();
  }

 private:
  // Buffers go round (block -> job input -> spare, member -> spare) instead of being freed:
  // glibc serves 1 MiB strings with mmap, so each new one cost page faults on first touch.
  std::string take_spare() {
    std::lock_guard lock(mu_);
    if (spare_.empty()) return {};
    std::string s = std::move(spare_.back());
    spare_.pop_back();
    return s;
  }
  void give_back(std::string s) {
    s.clear();  // keeps the capacity
    std::lock_guard lock(mu_);
    if (spare_.size() < max_spare_) spare_.push_back(std::move(s));
  }

  void submit() {
    any_block_ = true;
    auto job = std::make_unique<GzipJob>();
    job->input.swap(block_);
    block_ = take_spare();
    block_.reserve(kGzipBlockSize);
    pending_.push_back(job->result.get_future());
    {
      std::lock_guard lock(mu_);
      queue_.push_back(std::move(job));
    }
    cv_.notify_one();
    // Bounded memory: at most two blocks in flight per worker.
    while (pending_.size() > 2 * workers_.size()) drain_one();
  }

  void drain_one() {
    std::string member = pending_.front().get();  // rethrows a worker's error
    pending_.pop_front();
    out_.write(member);
    give_back(std::move(member));
  }

  std::unique_ptr<GzipJob> next_job() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return nullptr;
    auto job = std::move(queue_.front());
    queue_.pop_front();
    return job;
  }

  void work() {
    std::unique_ptr<GzipBlockCompressor> compressor;
    std::exception_ptr setup_error;
    try {
      compressor = std::make_unique<GzipBlockCompressor>(level_);
    } catch (...) {
      setup_error = std::current_exception();  // given to every job this worker takes
    }
    while (auto job = next_job()) {
      try {
        if (setup_error) std::rethrow_exception(setup_error);
        std::string member = take_spare();
        compressor->member(job->input, member);
        give_back(std::move(job->input));
        job->result.set_value(std::move(member));
      } catch (...) {
        job->result.set_exception(std::current_exception());
      }
    }
  }

  common::Writer& out_;
  int level_;
  std::string block_;
  bool any_block_ = false;
  std::deque<std::future<std::string>> pending_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::unique_ptr<GzipJob>> queue_;
  std::vector<std::string> spare_;  // recycled buffers, under mu_
  size_t max_spare_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> workers_;  // last: started after, joined before the rest dies
};

}  // namespace

std::unique_ptr<Compressor> make_gzip_compressor(common::Writer& out, int level, int threads) {
  return std::make_unique<GzipCompressor>(out, level, threads);
}

}  // namespace mybuild::snapshot::internal
