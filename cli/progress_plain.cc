#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "cli/progress.h"
#include "cli/progress_rawjson.h"
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
// In a CI that folds logs (`ci`), a step's lines sit in a section titled "#N name" (which then
// replaces that line). Sections cannot nest, and parallel stages interleave: output of another
// step closes the open section and opens that step's ("#N name (continued)").
class PlainProgress : public builder::ProgressSink {
 public:
  PlainProgress(std::ostream& out, CiLog ci) : out_(out), ci_(ci) {}

  void step_state(const builder::StepId& step, builder::StepState state,
                  Clock::duration elapsed) override {
    std::lock_guard lock(mu_);
    auto [it, inserted] = started_.try_emplace(step.index, Clock::now());
    const bool finished = state != builder::StepState::kStarted;
    // A step that finishes on its first event (a cache hit) has nothing to fold.
    if (ci_ != CiLog::kNone && !(inserted && finished)) {
      enter(step);
    } else {
      leave();
      if (inserted || !finished) out_ << "#" << step.index << " " << step.name << "\n";
    }
    switch (state) {
      case builder::StepState::kStarted:
        break;
      case builder::StepState::kCached:
        out_ << "#" << step.index << " CACHED\n";
        break;
      case builder::StepState::kDone:
        out_ << "#" << step.index << " DONE " << seconds(elapsed) << "\n";
        break;
      case builder::StepState::kFailed:
        out_ << "#" << step.index << " ERROR\n";
        break;
      case builder::StepState::kCancelled:
        out_ << "#" << step.index << " CANCELED\n";
        break;
    }
    if (finished) {
      leave();
      out_ << "\n";
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
      enter(step);
      out_ << "#" << step.index << " " << stamp << " " << std::string_view(pending).substr(0, pos)
           << "\n";
      pending.erase(0, pos + 1);
    }
    out_.flush();
  }

  void cache_miss(const builder::StepId& step, std::string_view reason) override {
    std::lock_guard lock(mu_);
    enter(step);
    out_ << "#" << step.index << " cache miss: " << reason << "\n";
  }

  // Byte counts are for machines (rawjson); people see the step's "Pull complete" lines.
  void step_transfer(const builder::StepId&, const builder::TransferStatus&) override {}

  void message(std::string_view text) override {
    std::lock_guard lock(mu_);
    leave();  // a warning must not hide in a folded step
    out_ << text << "\n";
    out_.flush();
  }

 private:
  static int64_t unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  // Opens the step's section unless it is the open one (no-op outside a CI).
  void enter(const builder::StepId& step) {
    if (ci_ == CiLog::kNone || open_ == step.index) return;
    leave();
    // Appended piece by piece: "#" + std::to_string(...) trips GCC 12's -Wrestrict false positive.
    std::string title = "#";
    title += std::to_string(step.index);
    title += ' ';
    title += step.name;
    if (++sections_[step.index] > 1) title += " (continued)";
    out_ << ci_section_start(ci_, section_name(step.index), title, unix_now());
    open_ = step.index;
  }
  void leave() {
    if (!open_) return;
    out_ << ci_section_end(ci_, section_name(*open_), unix_now());
    open_.reset();
  }
  std::string section_name(int index) {
    // GitLab pairs start and end by name: a step folded twice needs two names.
    std::string name = "step_";
    name += std::to_string(index);
    name += '_';
    name += std::to_string(sections_[index]);
    return name;
  }

  std::ostream& out_;
  const CiLog ci_;
  std::mutex mu_;
  std::map<int, Clock::time_point> started_;
  std::map<int, std::string> partial_;  // a log line not yet ended by '\n'
  std::optional<int> open_;             // the step whose section is open
  std::map<int, int> sections_;         // sections opened per step
};

}  // namespace

std::unique_ptr<builder::ProgressSink> make_progress(std::string_view mode, std::ostream& out,
                                                     bool out_is_terminal, CiLog ci) {
  if (mode == "rawjson") return make_rawjson_progress(out);
  // tty when asked, or by default on a terminal; CI logs and pipes get plain (BuildKit's auto).
  if (mode == "tty" || (mode == "auto" && out_is_terminal)) {
    return make_tty_progress(out, STDERR_FILENO);
  }
  return std::make_unique<PlainProgress>(out, ci);
}

}  // namespace mybuild::cli
