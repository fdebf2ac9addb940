#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/progress.h"
#include "cli/progress_tty.h"

namespace mybuild::cli {
namespace {

using Clock = std::chrono::steady_clock;

std::string seconds(Clock::duration d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1fs", std::chrono::duration<double>(d).count());
  return buf;
}

// BuildKit's plain output: "#N name" when a step starts, its output as "#N 0.123 line", then
// "#N DONE 1.2s" / "#N CACHED" / "#N ERROR", with a blank line after each finished step.
class PlainProgress : public builder::ProgressSink {
 public:
  explicit PlainProgress(std::ostream& out) : out_(out) {}

  void step_state(const builder::StepId& step, builder::StepState state,
                  Clock::duration elapsed) override {
    std::lock_guard lock(mu_);
    auto [it, inserted] = started_.try_emplace(step.index, Clock::now());
    if (inserted || state == builder::StepState::kStarted) {
      out_ << "#" << step.index << " " << step.name << "\n";
    }
    switch (state) {
      case builder::StepState::kStarted:
        break;
      case builder::StepState::kCached:
        out_ << "#" << step.index << " CACHED\n\n";
        break;
      case builder::StepState::kDone:
        out_ << "#" << step.index << " DONE " << seconds(elapsed) << "\n\n";
        break;
      case builder::StepState::kFailed:
        out_ << "#" << step.index << " ERROR\n\n";
        break;
      case builder::StepState::kCancelled:
        out_ << "#" << step.index << " CANCELED\n\n";
        break;
    }
    out_.flush();
  }

  void step_log(const builder::StepId& step, std::string_view chunk) override {
    std::lock_guard lock(mu_);
    auto start = started_.try_emplace(step.index, Clock::now()).first->second;
    std::string& pending = partial_[step.index];
    pending.append(chunk);
    size_t pos;
    while ((pos = pending.find('\n')) != std::string::npos) {
      char stamp[32];
      std::snprintf(stamp, sizeof stamp, "%.3f",
                    std::chrono::duration<double>(Clock::now() - start).count());
      out_ << "#" << step.index << " " << stamp << " " << std::string_view(pending).substr(0, pos)
           << "\n";
      pending.erase(0, pos + 1);
    }
    out_.flush();
  }

  void cache_miss(const builder::StepId& step, std::string_view reason) override {
    std::lock_guard lock(mu_);
    out_ << "#" << step.index << " cache miss: " << reason << "\n";
  }

  void message(std::string_view text) override {
    std::lock_guard lock(mu_);
    out_ << text << "\n";
    out_.flush();
  }

 private:
  std::ostream& out_;
  std::mutex mu_;
  std::map<int, Clock::time_point> started_;
  std::map<int, std::string> partial_;  // a log line not yet ended by '\n'
};

const char* state_name(builder::StepState s) {
  switch (s) {
    case builder::StepState::kStarted:
      return "started";
    case builder::StepState::kCached:
      return "cached";
    case builder::StepState::kDone:
      return "done";
    case builder::StepState::kFailed:
      return "failed";
    case builder::StepState::kCancelled:
      return "cancelled";
  }
  return "unknown";
}

// One JSON object per line per event, for tools.
class RawJsonProgress : public builder::ProgressSink {
 public:
  explicit RawJsonProgress(std::ostream& out) : out_(out) {}

  void step_state(const builder::StepId& step, builder::StepState state,
                  Clock::duration elapsed) override {
    emit({{"event", "step"},
          {"step", step.index},
          {"name", step.name},
          {"state", state_name(state)},
          {"elapsed_ms", std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count()}});
  }
  void step_log(const builder::StepId& step, std::string_view chunk) override {
    emit({{"event", "log"}, {"step", step.index}, {"data", std::string(chunk)}});
  }
  void cache_miss(const builder::StepId& step, std::string_view reason) override {
    emit({{"event", "cache_miss"}, {"step", step.index}, {"reason", std::string(reason)}});
  }
  void message(std::string_view text) override {
    emit({{"event", "message"}, {"text", std::string(text)}});
  }

 private:
  void emit(const nlohmann::json& j) {
    // Invalid UTF-8 in RUN output must not abort the build: replace it.
    std::string line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    std::lock_guard lock(mu_);
    out_ << line << "\n";
    out_.flush();
  }
  std::ostream& out_;
  std::mutex mu_;
};

}  // namespace

std::unique_ptr<builder::ProgressSink> make_progress(std::string_view mode, std::ostream& out,
                                                     bool out_is_terminal) {
  if (mode == "rawjson") return std::make_unique<RawJsonProgress>(out);
  // tty when asked, or by default on a terminal; CI logs and pipes get plain (BuildKit's auto).
  if (mode == "tty" || (mode == "auto" && out_is_terminal)) {
    return make_tty_progress(out, STDERR_FILENO);
  }
  return std::make_unique<PlainProgress>(out);
}

}  // namespace mybuild::cli
