// The live view for a terminal (BuildKit's tty mode): a header with the elapsed time and steps
// done, one line per step with its state and time, and under each running step the last lines
// of its output; redrawn in place ten times a second, printed once more in full at the end.
#include "cli/progress_tty.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace mybuild::cli {

namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kTailLines = 6;

// Concatenates by appending: GCC 12 warns falsely (-Wrestrict) on `"lit" + std::to_string(n)`.
template <typename... Parts>
std::string cat(const Parts&... parts) {
  std::string out;
  (out.append(parts), ...);
  return out;
}

std::string seconds(Clock::duration d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1fs", std::chrono::duration<double>(d).count());
  return buf;
}

struct StepView {
  std::string name;
  builder::StepState state = builder::StepState::kStarted;
  Clock::time_point started = Clock::now();
  Clock::duration elapsed{};
  std::deque<std::string> tail;
  std::string partial;
};

class TtyProgress : public builder::ProgressSink {
 public:
  TtyProgress(std::ostream& out, int fd) : out_(out), fd_(fd), start_(Clock::now()) {
    thread_ = std::thread([this] { loop(); });
  }
  ~TtyProgress() override {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
    std::lock_guard lock(mu_);
    draw(true);
  }

  void step_state(const builder::StepId& step, builder::StepState state,
                  Clock::duration elapsed) override {
    std::lock_guard lock(mu_);
    auto [it, inserted] = steps_.try_emplace(step.index);
    if (inserted) order_.push_back(step.index);
    it->second.name = step.name;
    it->second.state = state;
    it->second.elapsed = elapsed;
    if (state != builder::StepState::kStarted) it->second.tail.clear();
  }
  void step_log(const builder::StepId& step, std::string_view chunk) override {
    std::lock_guard lock(mu_);
    auto [it, inserted] = steps_.try_emplace(step.index);
    if (inserted) {
      order_.push_back(step.index);
      it->second.name = step.name;
    }
    StepView& v = it->second;
    for (char c : chunk) {
      if (c == '\n' || c == '\r') {
        if (!v.partial.empty() || c == '\n') v.tail.push_back(std::move(v.partial));
        v.partial.clear();
        while (v.tail.size() > kTailLines) v.tail.pop_front();
      } else if (v.partial.size() < 512) {
        v.partial += c;
      }
    }
  }
  void cache_miss(const builder::StepId& step, std::string_view reason) override {
    message(cat("#", std::to_string(step.index), " ", step.name, ": cache miss: ", reason));
  }
  // Byte counts are for machines (rawjson); people see the step's "Pull complete" lines.
  void step_transfer(const builder::StepId&, const builder::TransferStatus&) override {}

  void message(std::string_view text) override {
    std::lock_guard lock(mu_);
    messages_.emplace_back(text);
  }

 private:
  void loop() {
    std::unique_lock lock(mu_);
    while (!stop_) {
      draw(false);
      cv_.wait_for(lock, std::chrono::milliseconds(100));
    }
  }

  int width() const {
    winsize ws{};
    if (::ioctl(fd_, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20) return ws.ws_col;
    return 100;
  }

  std::string fit(std::string line, size_t w) const {
    if (line.size() > w) line.resize(w);
    return line;
  }

  // Called with mu_ held. Erases what the last frame drew, prints pending messages above the
  // view (they scroll away), then the view.
  void draw(bool final) {
    std::string frame;
    if (lines_drawn_ > 0) frame += cat("\x1b[", std::to_string(lines_drawn_), "A\x1b[J");
    for (const auto& m : messages_) frame += m + "\n";
    messages_.clear();
    size_t w = static_cast<size_t>(width());
    int done = 0;
    for (const auto& [i, v] : steps_) done += v.state != builder::StepState::kStarted;
    std::vector<std::string> lines;
    lines.push_back(cat(std::string(final ? "[+] Built " : "[+] Building "),
                        seconds(Clock::now() - start_), " (", std::to_string(done), "/",
                        std::to_string(steps_.size()), ")", std::string(final ? " FINISHED" : "")));
    for (int index : order_) {
      const StepView& v = steps_.at(index);
      std::string time;
      std::string prefix = " => ";
      switch (v.state) {
        case builder::StepState::kStarted:
          time = seconds(Clock::now() - v.started);
          break;
        case builder::StepState::kCached:
          prefix += "CACHED ";
          break;
        case builder::StepState::kDone:
          time = seconds(v.elapsed);
          break;
        case builder::StepState::kFailed:
          prefix = " => ERROR ";
          time = seconds(v.elapsed);
          break;
        case builder::StepState::kCancelled:
          prefix = " => CANCELED ";
          break;
      }
      std::string line = prefix + v.name;
      if (!time.empty()) {
        size_t room = w > time.size() + 1 ? w - time.size() - 1 : 0;
        line = fit(line, room);
        line += std::string(room - line.size(), ' ') + " " + time;
      }
      lines.push_back(fit(line, w));
      if (v.state == builder::StepState::kStarted || v.state == builder::StepState::kFailed) {
        for (const auto& t : v.tail) lines.push_back(fit(" => => # " + t, w));
      }
    }
    for (const auto& l : lines) frame += "\x1b[2K" + l + "\n";
    lines_drawn_ = final ? 0 : static_cast<int>(lines.size());
    out_ << frame;
    out_.flush();
  }

  std::ostream& out_;
  int fd_;
  Clock::time_point start_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::map<int, StepView> steps_;
  std::vector<int> order_;
  std::vector<std::string> messages_;
  int lines_drawn_ = 0;
  std::thread thread_;
};

}  // namespace

std::unique_ptr<builder::ProgressSink> make_tty_progress(std::ostream& out, int fd) {
  return std::make_unique<TtyProgress>(out, fd);
}

}  // namespace mybuild::cli
