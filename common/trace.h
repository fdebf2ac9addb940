// Chrome trace events for `--trace FILE` (the JSON array format that Perfetto and
// chrome://tracing open): where a build's time goes, one track per stage and per transfer.
//
//   common::TraceWriter writer("build.json");       // the CLI, for --trace
//   common::TraceInstall on(writer);                 // spans now go to it
//   common::TraceTrack track("stage 1: builder");    // this thread's spans go to this track
//   { common::TraceSpan span("COPY ctx/ /data/"); ...; }   // one complete ("X") event
//
// The writer is process-wide (like the log level), so span sites need no context parameter
// threaded through every layer; with none installed a span costs one atomic load. Events are
// streamed as spans end (a killed build leaves a file Perfetto still reads, minus the closing
// bracket). Thread-safe: any thread may open spans; spans on one track must nest, which the
// per-thread track guarantees.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

namespace mybuild::common {

class TraceWriter {
 public:
  // Creates (truncates) `file`; throws kResource naming it when that fails.
  explicit TraceWriter(const std::filesystem::path& file);
  ~TraceWriter();  // writes the closing bracket
  TraceWriter(const TraceWriter&) = delete;
  TraceWriter& operator=(const TraceWriter&) = delete;

  // The id of the track named `name`; the first call also writes its thread_name record.
  int track(std::string_view name);
  // A complete event on track `tid`; times in microseconds since the writer was made.
  void complete(int tid, std::string_view name, int64_t start_us, int64_t duration_us);
  int64_t now_us() const;

 private:
  void write_event(const std::string& json);  // with mu_ held

  std::FILE* file_;
  std::filesystem::path path_;
  std::chrono::steady_clock::time_point origin_;
  std::mutex mu_;
  std::map<std::string, int, std::less<>> tracks_;
  bool first_ = true;
};

// Installs `writer` for the life of this object (the previous one, if any, comes back after).
class TraceInstall {
 public:
  explicit TraceInstall(TraceWriter& writer);
  ~TraceInstall();
  TraceInstall(const TraceInstall&) = delete;
  TraceInstall& operator=(const TraceInstall&) = delete;

 private:
  TraceWriter* previous_;
};

// The installed writer, or null when tracing is off.
TraceWriter* trace_writer();

// Sends the calling thread's spans to track `name` until destroyed. A thread without one
// has its own track, "thread <tid>".
class TraceTrack {
 public:
  explicit TraceTrack(std::string_view name);
  ~TraceTrack();
  TraceTrack(const TraceTrack&) = delete;
  TraceTrack& operator=(const TraceTrack&) = delete;

 private:
  int previous_;
};

// One span on the calling thread's track, from construction to destruction.
class TraceSpan {
 public:
  explicit TraceSpan(std::string_view name);
  ~TraceSpan();
  TraceSpan(const TraceSpan&) = delete;
  TraceSpan& operator=(const TraceSpan&) = delete;

 private:
  TraceWriter* writer_;
  std::string name_;
  int64_t start_us_ = 0;
};

}  // namespace mybuild::common
