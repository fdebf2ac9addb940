// Runs /bin/true N times (default 200) in a busybox rootfs through sandbox::run and prints the
// median and p90 start-to-exit time in milliseconds. run.sh compares it with crun and runc, and
// the networks with each other: the second argument is none (the default here), host or default
// (a private namespace behind slirp4netns); BENCH_HOST_NET=1 still means host.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "common/cancel.h"
#include "common/io.h"
#include "sandbox/run.h"
#include "sandbox/slirp.h"
#include "sandbox/testing/busybox_rootfs.h"

int main(int argc, char** argv) {
  using namespace mybuild;
  int n = argc > 1 ? std::atoi(argv[1]) : 200;
  sandbox::testing::BusyboxRootfs rootfs;
  sandbox::ProcessSpec spec;
  spec.args = {"/bin/true"};
  spec.rootfs_dir = rootfs.path();
  std::string network = argc > 2 ? argv[2] : std::getenv("BENCH_HOST_NET") ? "host" : "none";
  if (network == "host") {
    spec.network = sandbox::NetworkMode::kHost;
  } else if (network == "default") {
    spec.network = sandbox::NetworkMode::kDefault;
    if (!sandbox::find_slirp4netns()) {
      std::cerr << "slirp4netns not found: the default network would be the host's\n";
      return 2;
    }
  } else {
    spec.network = sandbox::NetworkMode::kNone;
  }
  std::vector<double> ms;
  common::CancelToken cancel;
  common::NullWriter out;
  for (int i = 0; i < n; ++i) {
    auto start = std::chrono::steady_clock::now();
    auto status = sandbox::run(spec, cancel, out);
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                     .count());
    if (!status.success()) {
      std::cerr << "run " << i << ": " << status.describe() << "\n";
      return 1;
    }
  }
  std::sort(ms.begin(), ms.end());
  std::printf("%.2f %.2f\n", ms[ms.size() / 2], ms[ms.size() * 9 / 10]);
  return 0;
}
