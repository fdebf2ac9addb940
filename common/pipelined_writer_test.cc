#include "common/pipelined_writer.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <thread>

#include "common/test_pattern.h"

namespace mybuild::common {
namespace {

using testing::test_pattern;

// Records the thread of each write too: the pipeline writes on its own thread.
class RecordingWriter : public Writer {
 public:
  void write(std::string_view data) override {
    if (std::this_thread::get_id() != caller) other_thread = true;
    if (data.size() > largest) largest = data.size();
    bytes.append(data);
  }
  std::thread::id caller = std::this_thread::get_id();
  bool other_thread = false;
  size_t largest = 0;
  std::string bytes;
};

TEST(PipelinedWriter, BytesArriveInOrderInWholeBuffers) {
  RecordingWriter next;
  PipelinedWriter out(next);
  std::string expected;
  for (int i = 0; i < 40; ++i) {
    const size_t size = i % 4 == 0 ? 512 : i % 4 == 1 ? (3 << 20) + 11 : i % 4 == 2 ? 1 : 70000;
    const std::string part = test_pattern(size, static_cast<char>('A' + i));
    out.write(part);
    expected += part;
  }
  out.flush();
  EXPECT_TRUE(next.bytes == expected);
  EXPECT_TRUE(next.other_thread);
  EXPECT_EQ(next.largest, PipelinedWriter::kBufferSize);
  // After flush, `next` is the caller's again, and the writer can go on.
  next.bytes += "x";
  out.write("yz");
  out.flush();
  EXPECT_EQ(next.bytes.substr(expected.size()), "xyz");
}

TEST(PipelinedWriter, SmallStreamIsWrittenAtFlushWithoutAThread) {
  RecordingWriter next;
  PipelinedWriter out(next);
  out.write("header");
  EXPECT_EQ(next.bytes, "");
  out.flush();
  EXPECT_EQ(next.bytes, "header");
  EXPECT_FALSE(next.other_thread);
}

class FailingWriter : public Writer {
 public:
  void write(std::string_view data) override {
    if (++calls == 2) throw std::runtime_error("disk full");
    bytes += data.size();
  }
  int calls = 0;
  size_t bytes = 0;
};

TEST(PipelinedWriter, FailureOfNextIsThrownAndNothingMoreIsWritten) {
  FailingWriter next;
  PipelinedWriter out(next);
  const std::string mib = test_pattern(PipelinedWriter::kBufferSize, 'm');
  EXPECT_THROW(
      {
        for (int i = 0; i < 16; ++i) out.write(mib);
        out.flush();
      },
      std::runtime_error);
  EXPECT_THROW(out.write("more"), std::runtime_error);
  EXPECT_THROW(out.flush(), std::runtime_error);
  EXPECT_EQ(next.calls, 2);
  EXPECT_EQ(next.bytes, PipelinedWriter::kBufferSize);
}

}  // namespace
}  // namespace mybuild::common
