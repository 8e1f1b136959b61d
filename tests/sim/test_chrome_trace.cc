// The Chrome trace writer, driven by a real engine whose synthetic processes
// emit records like a checkpoint's ranks: valid JSON, named tracks, balanced
// slices, lane sampling, the size cap, counter rate limits, determinism and
// atomic output.
#include <fmt/format.h>

#include <array>
#include <catch2/catch.hpp>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "sim/chrome_trace.h"
#include "sim/engine.h"
#include "sim/task.h"
#include "tests/sim/chrome_trace_check.h"

namespace {

using stormsim::sim::ChromeTraceOptions;
using stormsim::sim::ChromeTraceWriter;
using stormsim::sim::Engine;
using stormsim::sim::Record;
using stormsim::sim::Task;
using stormsim::sim::Time;
using stormsim::tests::read_text;
using stormsim::tests::read_trace;
using Kind = Record::Kind;

constexpr std::array<const char*, 5> kPhases{"gpu_copy", "create", "write", "fsync", "close"};

void emit(Engine& e, Kind kind, std::string_view name, std::int64_t lane, std::int64_t lanes) {
  if (e.tracing())
    e.record({kind, e.now(), "rank", name, 0.0, "ckpt_3fs", lane, lanes});
}

// One rank of a checkpoint: a save slice around its five phases.
Task<void> rank_process(Engine& e, std::int64_t rank, std::int64_t ranks) {
  co_await e.sleep(Time::from_ns((rank % 7) * 1000));
  emit(e, Kind::kBegin, "save", rank, ranks);
  for (const char* phase : kPhases) {
    emit(e, Kind::kBegin, phase, rank, ranks);
    co_await e.sleep(Time::from_ns(1'000'000 + (rank % 13) * 1000));
    emit(e, Kind::kEnd, phase, rank, ranks);
  }
  emit(e, Kind::kEnd, "save", rank, ranks);
  if (rank == ranks / 2 && e.tracing())
    e.record({Kind::kInstant, e.now(), "rank", "rank failed", 0.0, "ckpt_3fs", rank, ranks});
}

// A tier's bandwidth sampled every `step`.
Task<void> counter_process(Engine& e, Time step, int samples) {
  for (int i = 0; i < samples; ++i) {
    if (e.tracing())
      e.record(
          {Kind::kCounter, e.now(), "", "tier storage_nics bytes/s", 1e9 * (i % 10), "ckpt_3fs"});
    co_await e.sleep(step);
  }
  if (e.tracing())
    e.record({Kind::kCounter, e.now(), "", "tier storage_nics bytes/s", 0.0, "ckpt_3fs"});
}

Task<void> fault_process(Engine& e) {
  co_await e.sleep(Time::from_ns(2'500'000));
  if (e.tracing())
    e.record({Kind::kInstant, e.now(), "", "storage server storage-3 lost", 0.0, "ckpt_3fs"});
}

std::filesystem::path temp_dir() {
  const auto dir =
      std::filesystem::temp_directory_path() / fmt::format("stormsim-chrome-trace-{}", ::getpid());
  std::filesystem::create_directories(dir);
  return dir;
}

// Runs `ranks` synthetic ranks (and a counter and a fault) into `path`.
void simulate(const std::filesystem::path& path, std::int64_t ranks, ChromeTraceOptions options,
              int counter_samples = 100, Time counter_step = Time::from_ns(100'000)) {
  Engine e(7);
  ChromeTraceWriter w(path, options);
  e.add_observer(&w);
  for (std::int64_t r = 0; r < ranks; ++r)
    e.spawn(rank_process(e, r, ranks));
  e.spawn(counter_process(e, counter_step, counter_samples));
  e.spawn(fault_process(e));
  e.run();
  w.close(e.now());
  e.remove_observer(&w);
}

}  // namespace

TEST_CASE("chrome trace: lane sampling keeps an evenly spaced subset with both ends",
          "[sim][trace]") {
  const std::int64_t n = 131072;
  std::vector<std::int64_t> kept;
  for (std::int64_t r = 0; r < n; ++r) {
    if (ChromeTraceWriter::lane_kept(r, n, 64))
      kept.push_back(r);
  }
  REQUIRE(kept.size() == 64);
  CHECK(kept.front() == 0);
  CHECK(kept.back() == n - 1);
  // Gaps of floor or ceil of (n - 1) / 63.
  for (std::size_t i = 1; i < kept.size(); ++i) {
    CHECK(kept[i] - kept[i - 1] >= (n - 1) / 63);
    CHECK(kept[i] - kept[i - 1] <= (n - 1) / 63 + 1);
  }
  CHECK(ChromeTraceWriter::lane_kept(5, 10, 64));  // few lanes: all kept
  CHECK(ChromeTraceWriter::lane_kept(0, 10, 1));
  CHECK_FALSE(ChromeTraceWriter::lane_kept(9, 10, 1));
  CHECK_FALSE(ChromeTraceWriter::lane_kept(3, 10, 0));
  CHECK_FALSE(ChromeTraceWriter::lane_kept(10, 10, 64));  // out of range
}

TEST_CASE("chrome trace: the engine traces only when an observer wants records", "[sim][trace]") {
  Engine e;
  CHECK_FALSE(e.tracing());
  stormsim::sim::Observer plain;
  e.add_observer(&plain);
  CHECK_FALSE(e.tracing());
  const auto path = temp_dir() / "tracing.json";
  ChromeTraceWriter w(path);
  e.add_observer(&w);
  CHECK(e.tracing());
  e.remove_observer(&w);
  CHECK_FALSE(e.tracing());
}

TEST_CASE("chrome trace: records become named tracks, balanced slices, counters and instants",
          "[sim][trace]") {
  const auto path = temp_dir() / "small.json";
  simulate(path, 4, {});
  const auto t = read_trace(path, 1000.0);
  INFO(t.problem);
  CHECK(t.balanced);
  CHECK(t.monotone);
  CHECK(t.spaced);
  CHECK(t.threads == std::set<std::string>{"ckpt_3fs/rank 0", "ckpt_3fs/rank 1", "ckpt_3fs/rank 2",
                                           "ckpt_3fs/rank 3"});
  CHECK(t.counters.count("ckpt_3fs/tier storage_nics bytes/s") == 1);
  CHECK(t.slices.at("write") == 4);
  CHECK(t.slices.at("save") == 4);
  CHECK(t.instants.at("storage server storage-3 lost") == 1);
  CHECK(t.instants.at("rank failed") == 1);
  CHECK(t.doc.at("otherData").at("truncated") == false);
  // Timestamps are microseconds: the first write of rank 0 begins after its
  // copy and create, 2 ms in.
  std::int64_t rank0 = -1;
  for (const auto& [key, name] : t.thread_of) {
    if (name == "rank 0")
      rank0 = key.second;
  }
  bool found = false;
  for (const auto& e : t.doc["traceEvents"]) {
    if (e["ph"] == "B" && e["name"] == "write" && e["tid"] == rank0) {
      CHECK(e["ts"].get<double>() == Approx(2000.0));
      found = true;
      break;
    }
  }
  CHECK(found);
}

TEST_CASE("chrome trace: 131,072 rank tracks are sampled down to the lane limit", "[sim][trace]") {
  const auto path = temp_dir() / "ranks131072.json";
  ChromeTraceOptions o;  // 64 lanes, 256 MiB
  simulate(path, 131072, o);
  const auto size = std::filesystem::file_size(path);
  const auto t = read_trace(path, 1000.0);
  INFO(t.problem);
  CHECK(t.balanced);
  CHECK(t.monotone);
  CHECK(t.threads.size() == 64);
  CHECK(t.threads.count("ckpt_3fs/rank 0") == 1);
  CHECK(t.threads.count("ckpt_3fs/rank 131071") == 1);
  CHECK(t.slices.at("write") == 64);
  // The failure of rank 65,536 (not in the sample) still shows, on the process.
  CHECK(t.instants.at("rank failed") == 1);
  CHECK(t.doc["otherData"]["sampled_out_events"].get<std::int64_t>() == (131072 - 64) * 12);
  CHECK(size < o.max_bytes);
  CHECK(size < 100'000);
  WARN(fmt::format("131,072 ranks, 64 kept: {} bytes (cap {})", size, o.max_bytes));
}

TEST_CASE("chrome trace: the size cap holds and the truncation is recorded", "[sim][trace]") {
  const auto path = temp_dir() / "capped.json";
  ChromeTraceOptions o;
  o.max_lanes = 1 << 20;  // no sampling: every one of 131,072 ranks traced
  o.max_bytes = 1 << 20;
  simulate(path, 131072, o);
  const auto size = std::filesystem::file_size(path);
  const auto t = read_trace(path);
  INFO(t.problem);
  CHECK(size <= o.max_bytes);
  CHECK(size > o.max_bytes / 2);  // filled up to the cap, less the end events set aside
  CHECK(t.balanced);              // open slices were closed within the cap
  CHECK(t.monotone);
  CHECK(t.doc["otherData"]["truncated"] == true);
  CHECK(t.doc["otherData"]["dropped_events"].get<std::int64_t>() > 1'000'000);
  CHECK(t.instants.count("trace truncated: size cap reached") == 1);
  WARN(fmt::format("131,072 ranks unsampled under a 1 MiB cap: {} bytes, {} events dropped", size,
                   t.doc["otherData"]["dropped_events"].get<std::int64_t>()));

  // A cap smaller than anything: still valid JSON with the marker.
  o.max_bytes = 2048;
  simulate(path, 16, o);
  CHECK(std::filesystem::file_size(path) <= 2048);
  CHECK(read_trace(path).doc["otherData"]["truncated"] == true);
}

TEST_CASE("chrome trace: counters keep at most one sample per period, and the last value",
          "[sim][trace]") {
  const auto path = temp_dir() / "counters.json";
  ChromeTraceOptions o;
  o.counter_period = Time::from_ns(1'000'000);
  // A sample every 100 us for 100 ms, then a final 0.
  simulate(path, 1, o, 1000, Time::from_ns(100'000));
  const auto t = read_trace(path, 1000.0);
  INFO(t.problem);
  CHECK(t.spaced);
  const std::size_t n = t.counter_samples.at("ckpt_3fs/tier storage_nics bytes/s");
  CHECK(n >= 100);
  CHECK(n <= 102);
  double last = -1;
  for (const auto& e : t.doc["traceEvents"]) {
    if (e["ph"] == "C")
      last = e["args"]["value"];
  }
  CHECK(last == 0.0);  // the final value survives the rate limit
}

TEST_CASE("chrome trace: the same run gives the same bytes", "[sim][trace]") {
  const auto dir = temp_dir();
  ChromeTraceOptions o;
  o.max_lanes = 16;
  o.max_bytes = 64 << 10;
  simulate(dir / "a.json", 4096, o);
  simulate(dir / "b.json", 4096, o);
  const std::string a = read_text(dir / "a.json");
  CHECK(a.size() > 10'000);
  CHECK(a == read_text(dir / "b.json"));
}

TEST_CASE("chrome trace: nothing appears under the final name before close", "[sim][trace]") {
  const auto dir = temp_dir() / "atomic";
  std::filesystem::remove_all(dir);
  const auto path = dir / "trace.json";
  const auto files = [&] {
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& f : std::filesystem::directory_iterator(dir))
      ++n;
    return n;
  };
  {
    ChromeTraceWriter w(path);
    w.add({Kind::kBegin, Time::from_ns(1000), "rank", "write", 0.0, "ckpt", 0, 1});
    CHECK_FALSE(std::filesystem::exists(path));
    CHECK(files() == 1);  // the temporary file
  }
  // Abandoned (an interrupted run): no file, and no debris.
  CHECK_FALSE(std::filesystem::exists(path));
  CHECK(files() == 0);
  {
    ChromeTraceWriter w(path);
    w.add({Kind::kBegin, Time::from_ns(1000), "rank", "write", 0.0, "ckpt", 0, 1});
    w.close(Time::from_ns(5000));
    CHECK(std::filesystem::exists(path));
    CHECK(files() == 1);
  }
  const auto t = read_trace(path);
  CHECK(t.balanced);  // the open slice was closed at the end
  std::filesystem::remove_all(temp_dir());
}

TEST_CASE("chrome trace: nothing appears until close, a bad path names itself", "[sim][trace]") {
  const auto dir = temp_dir() / "atomic";
  std::filesystem::remove_all(dir);
  {
    ChromeTraceWriter w(dir / "abandoned.json");
    w.add({Kind::kInstant, Time{}, "", "fault", 0.0, "ckpt"});
    CHECK_FALSE(std::filesystem::exists(dir / "abandoned.json"));
  }
  // Destroyed without close(): no trace and no temporary file left behind.
  CHECK(std::filesystem::is_empty(dir));
  {
    ChromeTraceWriter w(dir / "kept.json");
    w.close(Time{});
  }
  CHECK(read_trace(dir / "kept.json").balanced);
  CHECK(std::distance(std::filesystem::directory_iterator(dir),
                      std::filesystem::directory_iterator()) == 1);

  // A directory that cannot be made: under a regular file.
  const auto blocked = dir / "kept.json" / "sub" / "t.json";
  try {
    ChromeTraceWriter w(blocked);
    FAIL("no error");
  } catch (const stormsim::sim::OutputError& e) {
    CHECK_THAT(e.what(), Catch::Contains("cannot write " + blocked.string()));
    CHECK_THAT(e.what(), Catch::Contains("creating its directory failed"));
  }
}
