#include "image/transfer_progress.h"

namespace mybuild::image {

void TransferCounter::add(size_t n) {
  if (n == 0) return;
  count_ += static_cast<int64_t>(n);
  if (!progress_) return;
  const auto now = std::chrono::steady_clock::now();
  if (last_report_ != std::chrono::steady_clock::time_point{} &&
      now - last_report_ < kTransferReportInterval) {
    return;
  }
  last_report_ = now;
  progress_(blob_, count_, false);
}

void CountingWriter::write(std::string_view data) {
  inner_->write(data);
  counter_.add(data.size());
}

size_t CountingReader::read(std::span<char> buf) {
  size_t n = inner_->read(buf);
  counter_.add(n);
  return n;
}

}  // namespace mybuild::image
