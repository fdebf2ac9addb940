#include "common/trace.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/log.h"

namespace mybuild::common {

namespace {

std::atomic<TraceWriter*> g_writer{nullptr};
thread_local int t_track = 0;  // 0: this thread has not named a track yet

int current_track(TraceWriter& writer) {
  if (t_track == 0) t_track = writer.track("thread " + std::to_string(::syscall(SYS_gettid)));
  return t_track;
}

}  // namespace

TraceWriter::TraceWriter(const std::filesystem::path& file)
    : file_(std::fopen(file.c_str(), "we")),
      path_(file),
      origin_(std::chrono::steady_clock::now()) {
  if (!file_) throw_errno("fopen", file.string());
  std::fputs("[", file_);
}

TraceWriter::~TraceWriter() {
  std::fputs("\n]\n", file_);
  if (std::fclose(file_) != 0) {
    log::warn("closing the trace " + path_.string() + ": " + std::strerror(errno));
  }
}

int64_t TraceWriter::now_us() const {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() -
                                                               origin_)
      .count();
}

void TraceWriter::write_event(const std::string& json) {
  std::fputs(first_ ? "\n" : ",\n", file_);
  std::fputs(json.c_str(), file_);
  first_ = false;
}

int TraceWriter::track(std::string_view name) {
  std::lock_guard lock(mu_);
  if (auto it = tracks_.find(name); it != tracks_.end()) return it->second;
  const int tid = static_cast<int>(tracks_.size()) + 1;
  tracks_.emplace(std::string(name), tid);
  nlohmann::json meta = {
      {"name", "thread_name"}, {"ph", "M"}, {"pid", 1}, {"tid", tid}, {"args", {{"name", name}}}};
  write_event(meta.dump());
  // Perfetto orders tracks by this index: stages and transfers in the order they appeared.
  nlohmann::json order = {{"name", "thread_sort_index"},
                          {"ph", "M"},
                          {"pid", 1},
                          {"tid", tid},
                          {"args", {{"sort_index", tid}}}};
  write_event(order.dump());
  return tid;
}

void TraceWriter::complete(int tid, std::string_view name, int64_t start_us, int64_t duration_us) {
  nlohmann::json event = {{"name", name}, {"ph", "X"},      {"pid", 1},
                          {"tid", tid},   {"ts", start_us}, {"dur", duration_us}};
  // Invalid UTF-8 in a name (a file name from the context) becomes U+FFFD, not an exception.
  std::string text = event.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::lock_guard lock(mu_);
  write_event(text);
  std::fflush(file_);
}

TraceInstall::TraceInstall(TraceWriter& writer) : previous_(g_writer.exchange(&writer)) {}
TraceInstall::~TraceInstall() { g_writer.store(previous_); }

TraceWriter* trace_writer() { return g_writer.load(std::memory_order_acquire); }

TraceTrack::TraceTrack(std::string_view name) : previous_(t_track) {
  if (TraceWriter* w = trace_writer()) t_track = w->track(name);
}
TraceTrack::~TraceTrack() { t_track = previous_; }

TraceSpan::TraceSpan(std::string_view name) : writer_(trace_writer()) {
  if (!writer_) return;
  name_ = name;
  start_us_ = writer_->now_us();
}

TraceSpan::~TraceSpan() {
  if (!writer_) return;
  try {
    writer_->complete(current_track(*writer_), name_, start_us_, writer_->now_us() - start_us_);
  } catch (const std::exception& e) {
    // A destructor must not throw; a lost span is worth a warning, not the build.
    log::warn("trace: dropped the span " + name_ + ": " + e.what());
  }
}

}  // namespace mybuild::common
