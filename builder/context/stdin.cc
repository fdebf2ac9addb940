#include "builder/context/stdin.h"

#include <algorithm>
#include <cstring>
#include <string_view>

#include "builder/context/tar.h"
#include "common/error.h"

namespace mybuild::builder {
namespace {

constexpr size_t kPeek = 512;  // a tar header, with "ustar" at offset 257
constexpr size_t kMaxDockerfile = 16 << 20;

// The peeked bytes, then the rest of the stream.
class PrefixReader : public common::Reader {
 public:
  PrefixReader(std::string prefix, common::Reader& rest)
      : prefix_(std::move(prefix)), rest_(rest) {}
  size_t read(std::span<char> buf) override {
    if (pos_ < prefix_.size()) {
      const size_t n = std::min(buf.size(), prefix_.size() - pos_);
      std::memcpy(buf.data(), prefix_.data() + pos_, n);
      pos_ += n;
      return n;
    }
    return rest_.read(buf);
  }

 private:
  std::string prefix_;
  size_t pos_ = 0;
  common::Reader& rest_;
};

}  // namespace

StdinInput classify_stdin(common::Reader& in) {
  std::string head;
  char buf[kPeek];
  while (head.size() < kPeek) {
    const size_t n = in.read(std::span<char>(buf, kPeek - head.size()));
    if (n == 0) break;
    head.append(buf, n);
  }
  StdinInput out;
  if (starts_like_archive(head)) {
    out.tar = std::make_unique<PrefixReader>(std::move(head), in);
    return out;
  }
  try {
    out.dockerfile_text = head + common::read_all(in, kMaxDockerfile - head.size());
  } catch (const common::Error&) {
    throw common::Error(common::ErrorKind::kUsage,
                        "stdin is neither a tar archive nor a Dockerfile of at most 16 MiB");
  }
  return out;
}

}  // namespace mybuild::builder
