#include "image/transfer_progress.h"

namespace mybuild::image {
namespace {

// True when a report is due: the first bytes, then once per interval.
bool transfer_report_due(std::chrono::steady_clock::time_point& last) {
  const auto now = std::chrono::steady_clock::now();
  if (last != std::chrono::steady_clock::time_point{} && now - last < kTransferReportInterval) {
    return false;
  }
  last = now;
  return true;
}

}  // namespace

void CountingWriter::write(std::string_view data) {
  inner_->write(data);
  count_ += static_cast<int64_t>(data.size());
  if (progress_ && transfer_report_due(last_report_)) progress_(blob_, count_, false);
}

size_t CountingReader::read(std::span<char> buf) {
  size_t n = inner_->read(buf);
  count_ += static_cast<int64_t>(n);
  if (progress_ && n > 0 && transfer_report_due(last_report_)) progress_(blob_, count_, false);
  return n;
}

}  // namespace mybuild::image
