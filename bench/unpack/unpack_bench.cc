// unpack_bench LAYER DIR: apply_layer(LAYER) onto DIR; prints the diff_id and entry count.
#include <fcntl.h>

#include <cstdio>

#include "common/error.h"
#include "common/io.h"
#include "snapshot/extract.h"

int main(int argc, char** argv) {
  using namespace mybuild;
  if (argc != 3) {
    std::fprintf(stderr, "usage: unpack_bench LAYER DIR\n");
    return 2;
  }
  try {
    common::FdReader in(common::open_file(argv[1], O_RDONLY));
    snapshot::ApplyResult r = snapshot::apply_layer(in, argv[2]);
    std::printf("%s %llu\n", r.diff_id.str().c_str(), static_cast<unsigned long long>(r.entries));
    return 0;
  } catch (const common::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.full_message().c_str());
    return 1;
  }
}
