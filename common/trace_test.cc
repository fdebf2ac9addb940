#include "common/trace.h"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "common/error.h"
#include "common/temp_dir.h"

namespace mybuild::common {
namespace {

nlohmann::json read_trace(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  return nlohmann::json::parse(text.str());  // throws, failing the test, if not valid JSON
}

// name -> tid of the thread_name records.
std::map<std::string, int> tracks_of(const nlohmann::json& events) {
  std::map<std::string, int> tracks;
  for (const auto& e : events) {
    if (e["ph"] == "M" && e["name"] == "thread_name") tracks[e["args"]["name"]] = e["tid"];
  }
  return tracks;
}

const nlohmann::json* span_named(const nlohmann::json& events, std::string_view name) {
  for (const auto& e : events) {
    if (e["ph"] == "X" && e["name"] == name) return &e;
  }
  return nullptr;
}

TEST(Trace, SpansNestOnTheirThreadsTrackAndParseAsChromeTraceEvents) {
  TempDir dir;
  const auto file = dir.path() / "trace.json";
  {
    TraceWriter writer(file);
    TraceInstall on(writer);
    TraceTrack track("stage 0: build");
    TraceSpan outer("COPY ctx/ /data/");
    {
      TraceSpan inner("copy \"files\"\n");  // a name JSON must escape
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    std::thread other([] {
      TraceTrack upload("upload sha256:abc");
      TraceSpan span("upload");
    });
    other.join();
  }
  nlohmann::json events = read_trace(file);
  auto tracks = tracks_of(events);
  ASSERT_EQ(tracks.size(), 2u);
  const auto* outer = span_named(events, "COPY ctx/ /data/");
  const auto* inner = span_named(events, "copy \"files\"\n");
  const auto* upload = span_named(events, "upload");
  ASSERT_TRUE(outer && inner && upload);
  EXPECT_EQ((*outer)["tid"], tracks.at("stage 0: build"));
  EXPECT_EQ((*inner)["tid"], tracks.at("stage 0: build"));
  EXPECT_EQ((*upload)["tid"], tracks.at("upload sha256:abc"));
  EXPECT_GE((*inner)["dur"].get<int64_t>(), 2000);
  EXPECT_LE((*outer)["ts"].get<int64_t>(), (*inner)["ts"].get<int64_t>());
  EXPECT_GE((*outer)["ts"].get<int64_t>() + (*outer)["dur"].get<int64_t>(),
            (*inner)["ts"].get<int64_t>() + (*inner)["dur"].get<int64_t>());
}

TEST(Trace, AThreadWithoutATrackGetsItsOwn) {
  TempDir dir;
  const auto file = dir.path() / "trace.json";
  {
    TraceWriter writer(file);
    TraceInstall on(writer);
    std::thread a([] { TraceSpan span("a"); });
    std::thread b([] { TraceSpan span("b"); });
    a.join();
    b.join();
  }
  nlohmann::json events = read_trace(file);
  EXPECT_EQ(tracks_of(events).size(), 2u);
  EXPECT_NE((*span_named(events, "a"))["tid"], (*span_named(events, "b"))["tid"]);
}

TEST(Trace, OffWritesNothingAndUninstallingStopsTheSpans) {
  EXPECT_EQ(trace_writer(), nullptr);
  { TraceSpan span("nobody listens"); }  // must not crash or write anywhere
  TempDir dir;
  const auto file = dir.path() / "trace.json";
  {
    TraceWriter writer(file);
    { TraceInstall on(writer); }
    TraceSpan span("after uninstall");
  }
  EXPECT_TRUE(read_trace(file).empty());
}

TEST(Trace, AnUnwritableFileIsAnErrorNamingIt) {
  try {
    TraceWriter writer("/nonexistent-dir/trace.json");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent-dir/trace.json"), std::string::npos);
  }
}

}  // namespace
}  // namespace mybuild::common
