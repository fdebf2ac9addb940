// layer_bench gen DIR FILES BYTES    make a tree: FILES files, BYTES in all, half incompressible
// layer_bench write DIR gzip|zstd|none OUT   write DIR as a layer to OUT, print digest/diff_id
#include <fcntl.h>
#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>

#include "common/error.h"
#include "common/io.h"
#include "snapshot/layer_writer.h"

namespace {

namespace fs = std::filesystem;
using namespace mybuild;

void generate(const fs::path& dir, int files, int64_t bytes) {
  std::mt19937_64 rng(1);
  int64_t per_file = bytes / files;
  std::string text;
  while (static_cast<int64_t>(text.size()) < per_file) {
    text.append("line ").append(std::to_string(text.size()));
    text.append(": the quick brown fox jumps over the dog\n");
  }
  std::string buf(static_cast<size_t>(per_file), '\0');
  for (int i = 0; i < files; ++i) {
    // Names built by append: GCC 12 -O3 misreports "lit" + std::string&& (-Wrestrict).
    std::string sub = "d", name = "f";
    sub.append(std::to_string(i % 100));
    name.append(std::to_string(i));
    fs::path p = dir / sub / name;
    fs::create_directories(p.parent_path());
    if (i % 2 == 0) {
      for (size_t j = 0; j + 8 <= buf.size(); j += 8) {
        uint64_t v = rng();
        std::memcpy(buf.data() + j, &v, 8);
      }
    } else {
      buf.assign(text, 0, static_cast<size_t>(per_file));
    }
    common::UniqueFd fd = common::open_file(p, O_WRONLY | O_CREAT | O_TRUNC);
    common::FdWriter(fd.get()).write(buf);
  }
}

}  // namespace

int main(int argc, char** argv) {
  try {
    std::string cmd = argc > 1 ? argv[1] : "";
    if (cmd == "gen" && argc == 5) {
      generate(argv[2], std::atoi(argv[3]), std::atoll(argv[4]));
      return 0;
    }
    if (cmd == "write" && argc == 5) {
      snapshot::LayerOptions o;
      o.compression = snapshot::parse_compression(argv[3]);
      common::UniqueFd out = common::open_file(argv[4], O_WRONLY | O_CREAT | O_TRUNC);
      common::FdWriter w(out.get());
      snapshot::Layer l = snapshot::write_tree_layer(argv[2], w, o);
      std::printf("%s %s %lld\n", l.descriptor.digest.str().c_str(), l.diff_id.str().c_str(),
                  static_cast<long long>(l.descriptor.size));
      return 0;
    }
    std::fprintf(stderr, "usage: layer_bench gen DIR FILES BYTES | write DIR COMP OUT\n");
    return 2;
  } catch (const common::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.full_message().c_str());
    return 1;
  }
}
