// ReadAhead: a Reader that runs its source on a worker thread, a few chunks ahead of the
// consumer, so that producing the bytes (decompressing, hashing) and using them (unpacking a
// layer: mostly file-system calls) run on two cores instead of one after the other.
//
//   common::ReadAhead ahead(decompressed_and_hashed);
//   consume(ahead);   // read() until it returns 0
//   ahead.finish();   // joins the worker: the source is no longer touched after this
//
// Memory is bounded: at most kDepth chunks of kChunk bytes wait. An exception thrown by the
// source's read() is rethrown by the read() that reaches it. Destroyed early (the consumer
// failed), it stops the worker after the read in progress and joins it. The source must not
// be used by anyone else until finish() or destruction.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <mutex>
#include <span>
#include <thread>
#include <vector>

#include "common/io.h"

namespace mybuild::common {

class ReadAhead : public Reader {
 public:
  static constexpr size_t kChunk = 1 << 20;
  static constexpr size_t kDepth = 4;

  explicit ReadAhead(Reader& source);
  ~ReadAhead() override;
  ReadAhead(const ReadAhead&) = delete;
  ReadAhead& operator=(const ReadAhead&) = delete;

  size_t read(std::span<char> buf) override;
  // Waits for the worker to end (after the source's end, an error, or at once if the consumer
  // stopped early); rethrows nothing: an error not yet read is lost, so read to 0 first.
  void finish();

 private:
  void run();
  // Fills `chunk` from the source until it is full or the source ends; false at the end.
  bool fill(std::vector<char>& chunk);

  Reader& source_;
  std::mutex mu_;
  std::condition_variable changed_;
  std::deque<std::vector<char>> ready_;   // filled chunks, in order (mu_)
  std::vector<std::vector<char>> spare_;  // emptied chunks for the worker to reuse (mu_)
  std::vector<char> current_;             // the chunk read() is handing out (consumer only)
  size_t offset_ = 0;
  bool ended_ = false;        // the source returned 0 (mu_)
  bool stopping_ = false;     // the consumer is gone (mu_)
  std::exception_ptr error_;  // (mu_)
  std::thread worker_;
};

}  // namespace mybuild::common
