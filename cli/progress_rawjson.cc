#include "cli/progress_rawjson.h"

#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "common/base64.h"
#include "common/digest.h"

namespace mybuild::cli {
namespace {

using Wall = std::chrono::system_clock;
using nlohmann::ordered_json;  // Go writes struct fields in declaration order; so do we

// Go's time.Time in JSON: RFC 3339 with nanoseconds, trailing zeros of the fraction dropped
// (RFC3339Nano), in UTC.
std::string rfc3339_nano(Wall::time_point t) {
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch());
  const auto secs = std::chrono::floor<std::chrono::seconds>(ns);
  long long frac = (ns - secs).count();
  const time_t whole = static_cast<time_t>(secs.count());
  tm utc{};
  gmtime_r(&whole, &utc);
  char buf[64];
  size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &utc);
  std::string out(buf, n);
  if (frac != 0) {
    char digits[16];
    std::snprintf(digits, sizeof digits, ".%09lld", frac);
    std::string f = digits;
    while (f.back() == '0') f.pop_back();
    out += f;
  }
  return out + "Z";
}

// Where a step sits: "[build 2/5] RUN make" -> {"build", 2}, "[2/5] COPY . ." -> {"", 2};
// nullopt for names without a position ("[internal] load busybox", "exporting cache").
struct StepPosition {
  std::string stage;
  int index = 0;
};
std::optional<StepPosition> position_of(const std::string& name) {
  if (name.empty() || name[0] != '[') return std::nullopt;
  const size_t close = name.find(']');
  if (close == std::string::npos) return std::nullopt;
  const std::string inside = name.substr(1, close - 1);
  const size_t space = inside.rfind(' ');
  const std::string pos = space == std::string::npos ? inside : inside.substr(space + 1);
  const size_t slash = pos.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == pos.size() ||
      pos.find_first_not_of("0123456789/") != std::string::npos) {
    return std::nullopt;
  }
  return StepPosition{space == std::string::npos ? "" : inside.substr(0, space),
                      std::atoi(pos.substr(0, slash).c_str())};
}

class SolveStatusProgress : public builder::ProgressSink {
 public:
  explicit SolveStatusProgress(std::ostream& out) : out_(out) {}

  void step_state(const builder::StepId& step, builder::StepState state,
                  std::chrono::steady_clock::duration elapsed) override {
    std::lock_guard lock(mu_);
    const auto now = Wall::now();
    Vertex& v = vertex(step, now - std::chrono::duration_cast<Wall::duration>(elapsed));
    ordered_json j = vertex_json(v);
    if (state != builder::StepState::kStarted) j["completed"] = rfc3339_nano(now);
    if (state == builder::StepState::kCached) j["cached"] = true;
    if (state == builder::StepState::kFailed) j["error"] = "failed";
    if (state == builder::StepState::kCancelled) j["error"] = "context canceled";
    emit({{"vertexes", ordered_json::array({j})}});
  }

  void step_log(const builder::StepId& step, std::string_view chunk) override {
    std::lock_guard lock(mu_);
    log(vertex(step, Wall::now()), chunk);
  }

  void cache_miss(const builder::StepId& step, std::string_view reason) override {
    std::lock_guard lock(mu_);
    log(vertex(step, Wall::now()), "cache miss: " + std::string(reason) + "\n");
  }

  // BuildKit's VertexStatus (client/graph.go): name and total are omitempty, current is not;
  // started is when the transfer's first bytes were reported.
  void step_transfer(const builder::StepId& step, const builder::TransferStatus& t) override {
    std::lock_guard lock(mu_);
    const auto now = Wall::now();
    const Vertex& v = vertex(step, now);
    auto [it, inserted] = transfer_started_.try_emplace({step.index, t.id}, "");
    if (inserted) it->second = rfc3339_nano(now);
    ordered_json j = {{"id", t.id}, {"vertex", v.digest}};
    if (!t.action.empty()) j["name"] = t.action;
    if (t.total != 0) j["total"] = t.total;
    j["current"] = t.current;
    j["timestamp"] = rfc3339_nano(now);
    j["started"] = it->second;
    if (t.completed) j["completed"] = rfc3339_nano(now);
    emit({{"statuses", ordered_json::array({j})}});
  }

  void message(std::string_view text) override {
    std::lock_guard lock(mu_);
    constexpr std::string_view kWarn = "WARN: ";
    if (text.starts_with(kWarn)) {
      ordered_json w = {{"level", 1}, {"short", common::base64_encode(text.substr(kWarn.size()))}};
      emit({{"warnings", ordered_json::array({w})}});
      return;
    }
    const std::string now = rfc3339_nano(Wall::now());
    ordered_json v = {{"digest", unique_digest("mybuild message\n" + std::string(text))},
                      {"name", std::string(text)},
                      {"started", now},
                      {"completed", now}};
    emit({{"vertexes", ordered_json::array({v})}});
  }

 private:
  struct Vertex {
    std::string digest;
    std::string input;  // the previous step of the stage, if any
    std::string name;
    std::string started;
  };

  // The step's vertex, made on its first event (started at `start`).
  Vertex& vertex(const builder::StepId& step, Wall::time_point start) {
    auto [it, inserted] = vertices_.try_emplace(step.index);
    Vertex& v = it->second;
    if (!inserted) return v;
    v.name = step.name;
    v.started = rfc3339_nano(start);
    v.digest = unique_digest(step.name);
    if (auto pos = position_of(step.name)) {
      auto& last = last_of_stage_[pos->stage];
      if (pos->index > 1) v.input = last;  // step 1 is the stage's FROM: no step of it precedes
      last = v.digest;
    }
    return v;
  }

  std::string unique_digest(const std::string& seed) {
    std::string d = common::Digest::sha256_of(seed).str();
    for (int n = 2; !digests_.insert(d).second; ++n) {
      d = common::Digest::sha256_of(seed + "\n" + std::to_string(n)).str();
    }
    return d;
  }

  static ordered_json vertex_json(const Vertex& v) {
    ordered_json j = {{"digest", v.digest}};
    if (!v.input.empty()) j["inputs"] = ordered_json::array({v.input});
    j["name"] = v.name;
    j["started"] = v.started;
    return j;
  }

  void log(const Vertex& v, std::string_view data) {
    ordered_json l = {{"vertex", v.digest},
                      {"stream", 1},
                      {"data", common::base64_encode(data)},
                      {"timestamp", rfc3339_nano(Wall::now())}};
    emit({{"logs", ordered_json::array({l})}});
  }

  void emit(const ordered_json& j) {
    // Names and messages may hold invalid UTF-8 (log data is base64, so it cannot): replace it.
    out_ << j.dump(-1, ' ', false, ordered_json::error_handler_t::replace) << "\n";
    out_.flush();
  }

  std::ostream& out_;
  std::mutex mu_;
  std::map<int, Vertex> vertices_;
  std::map<std::string, std::string> last_of_stage_;  // stage -> digest of its latest step
  std::set<std::string> digests_;
  std::map<std::pair<int, std::string>, std::string> transfer_started_;  // (step, id) -> time
};

}  // namespace

std::unique_ptr<builder::ProgressSink> make_rawjson_progress(std::ostream& out) {
  return std::make_unique<SolveStatusProgress>(out);
}

}  // namespace mybuild::cli
