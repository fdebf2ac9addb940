// StepLocks: one mutex per cache key, shared by the platforms of one multi-platform build. A step
// holds its key's lock from the cache lookup to the record, so the same step asked for by two
// platforms at once (a `FROM --platform=$BUILDPLATFORM` stage: same parent, same inputs, same
// platform, hence the same key) runs once; the second platform waits and then hits the cache.
// BuildKit gets the same from its solver merging equal vertices. Thread-safe.
#pragma once

#include <map>
#include <mutex>
#include <set>
#include <string>

namespace mybuild::builder {

class StepLocks {
 public:
  // Blocks while another thread holds `key`. Never taken while holding a --jobs slot, so a
  // waiter never keeps a slot from the step it waits for.
  std::unique_lock<std::mutex> hold(const std::string& key) {
    std::mutex* m = nullptr;
    {
      std::lock_guard lock(mu_);
      m = &locks_[key];  // map nodes never move, and none is erased while the build lives
    }
    return std::unique_lock<std::mutex>(*m);
  }
  // Whether a platform of this build already ran the step of `key`: then the others take its
  // record even under --no-cache (which means "not from earlier builds").
  bool ran(const std::string& key) {
    std::lock_guard lock(mu_);
    return ran_.count(key) > 0;
  }
  void note_ran(const std::string& key) {
    std::lock_guard lock(mu_);
    ran_.insert(key);
  }

 private:
  std::mutex mu_;
  std::map<std::string, std::mutex> locks_;
  std::set<std::string> ran_;
};

}  // namespace mybuild::builder
