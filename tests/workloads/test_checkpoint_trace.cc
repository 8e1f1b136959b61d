// The checkpoint workload's trace records and its result fields for figures:
// rank tracks, tier and bottleneck counters and fault instants in a Chrome
// trace; the per-rank CDFs and the bottleneck utilization series, checked
// against the percentiles and against closed forms.
//
// Small runs on the dev cluster as in test_checkpoint.cc: each GPU's copy
// engine capped at 1 GB/s, the durable service the test sink, whose one
// drive writes at 2 GB/s.
#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "experiments/app/cli.h"
#include "models/simulation.h"
#include "models/workloads/checkpoint.h"
#include "models/workloads/llm_state.h"
#include "sim/chrome_trace.h"
#include "sim/config/node.h"
#include "tests/sim/chrome_trace_check.h"
#include "tests/storage/test_sink.h"

namespace stormsim::models {
namespace {

constexpr double kSinkRate = 2e9;

std::string scenario(const std::string& ckpt, const std::string& topology = "") {
  return fmt::format(
      "name: ckpt\nduration: 600s\ntopology: {}\ncomponents:\n"
      "  - {{name: sink_drives, type: nvme, on: [storage_drives], write_bandwidth: 2GB/s}}\n"
      "  - {{name: gpus, type: gpu, pinned_rate: 1GB/s}}\n"
      "  - {{name: sink, type: tier0_test_sink}}\n"
      "  - {{name: ckpt, type: checkpoint, storage: sink, model: custom,"
      " layers: 2, hidden: 1024, ffn: 4096, heads: 8, kv_heads: 8, vocab: 32768, tp: 1, pp: 1,"
      " zero_stage: 3, {}}}\n",
      topology.empty() ? fmt::format("{}/topologies/dev.yaml", STORMSIM_SOURCE_DIR) : topology,
      ckpt);
}

std::filesystem::path temp_dir() {
  const auto dir = std::filesystem::temp_directory_path() /
                   fmt::format("stormsim-checkpoint-trace-{}", ::getpid());
  std::filesystem::create_directories(dir);
  return dir;
}

struct Traced {
  nlohmann::json m;  // the checkpoint's metrics
  tests::TraceSummary trace;
  std::filesystem::path path;
};

Traced run_traced(const std::string& text, const std::string& file,
                  sim::ChromeTraceOptions options = {}) {
  Traced t;
  t.path = temp_dir() / file;
  Simulation sim(sim::config::load_string(text, "ckpt.yaml"));
  sim::ChromeTraceWriter w(t.path, options);
  sim.engine().add_observer(&w);
  sim.run();
  sim.engine().remove_observer(&w);
  w.close(sim.end_time());
  t.m = sim.metrics()["ckpt"];
  t.trace = tests::read_trace(t.path, options.counter_period.seconds() * 1e6);
  return t;
}

}  // namespace

TEST_CASE("checkpoint trace: rank tracks with balanced phases, tier counters, named tracks",
          "[workloads][checkpoint][trace]") {
  const Traced t = run_traced(
      scenario("clients: [gpu-server-0, gpu-server-1], sample_period: 50ms"), "sync.json");
  const auto& s = t.trace;
  INFO(s.problem);
  CHECK(s.balanced);
  CHECK(s.monotone);
  CHECK(s.spaced);
  CHECK(s.processes.size() == 1);
  CHECK(s.processes.begin()->second == "ckpt");
  for (int r = 0; r < 16; ++r)
    CHECK(s.threads.count(fmt::format("ckpt/rank {}", r)) == 1);
  CHECK(s.threads.count("ckpt/stall") == 1);
  CHECK(s.threads.count("ckpt/restore") == 1);
  CHECK(s.threads.size() == 18);
  // 16 ranks x 2 files: each file created, written, fsynced, closed, and read
  // back (opened, read, closed).
  CHECK(s.slices.at("gpu_copy") == 16);
  CHECK(s.slices.at("create") == 32);
  CHECK(s.slices.at("write") == 32);
  CHECK(s.slices.at("fsync") == 32);
  CHECK(s.slices.at("open") == 32);
  CHECK(s.slices.at("read") == 32);
  CHECK(s.slices.at("close") == 64);
  CHECK(s.slices.at("gpu_load") == 16);
  CHECK(s.slices.at("checkpoint 1") == 17);  // 16 ranks and the stall track
  CHECK(s.slices.at("restore") == 17);
  for (const char* tier : {"gpu_host_copy", "client_nics", "storage_nics", "storage_drives"})
    CHECK(s.counters.count(fmt::format("ckpt/tier {} bytes/s", tier)) == 1);
  CHECK(s.counters.count("ckpt/bottleneck storage-0/nvme0.media.write utilization") == 1);
  // The stall slice lasts the checkpoint's stall.
  double begin = -1, end = -1;
  for (const auto& e : s.doc["traceEvents"]) {
    const auto key =
        std::make_pair(e.value("pid", std::int64_t{0}), e.value("tid", std::int64_t{0}));
    if (e["ph"] != "M" && s.thread_of.count(key) && s.thread_of.at(key) == "stall") {
      (e["ph"] == "B" ? begin : end) = e["ts"].get<double>();
    }
  }
  CHECK((end - begin) / 1e6 ==
        Approx(t.m["checkpoints"][0]["stall_s"].get<double>()).epsilon(1e-6));
}

TEST_CASE("checkpoint trace: background slices and fault instants",
          "[workloads][checkpoint][trace]") {
  const Traced async = run_traced(
      scenario("clients: [gpu-server-0], strategy: async, count: 2, interval: 100ms, restore: "
               "false"),
      "async.json");
  INFO(async.trace.problem);
  CHECK(async.trace.balanced);
  CHECK(async.trace.threads.count("ckpt/background") == 1);
  CHECK(async.trace.slices.at("persist 1") == 1);
  CHECK(async.trace.slices.at("persist 2") == 1);

  // A storage server lost mid-save (the chain store of test_checkpoint.cc).
  const std::string text = fmt::format(
      "name: ckpt\nduration: 600s\ntopology: {}/topologies/dev.yaml\ncomponents:\n"
      "  - {{name: fs, type: chain_store, chain_length: 1, chunk_size: 4MiB}}\n"
      "  - {{name: ckpt, type: checkpoint, storage: fs, clients: [gpu-server-0], model: custom,"
      " layers: 2, hidden: 1024, ffn: 4096, heads: 8, kv_heads: 8, vocab: 32768, tp: 1, pp: 1,"
      " zero_stage: 3, restore: false, fail_storage_server: storage-0, fail_storage_at: 20ms}}\n",
      STORMSIM_SOURCE_DIR);
  const Traced fault = run_traced(text, "fault.json");
  INFO(fault.trace.problem);
  CHECK(fault.trace.balanced);
  CHECK(fault.trace.instants.at("storage server storage-0 lost") == 1);
  bool at_20ms = false;
  for (const auto& e : fault.trace.doc["traceEvents"]) {
    if (e["ph"] == "i" && e["name"] == "storage server storage-0 lost")
      at_20ms = e["ts"].get<double>() == Approx(20'000.0);
  }
  CHECK(at_20ms);
}

TEST_CASE("checkpoint trace: many ranks are sampled evenly, and the bytes are reproducible",
          "[workloads][checkpoint][trace]") {
  // 512 GPU servers x 8 = 4,096 ranks, each with a tiny shard.
  const std::string topology =
      "{name: wide, gpu_servers: {count: 512}, storage_servers: {count: 2}, fabric: {generator: "
      "leaf_spine, servers_per_leaf: 32, storage_servers_per_leaf: 2, spines: 2, "
      "oversubscription: 1}}";
  const std::string text =
      scenario("clients: [gpu_servers], restore: false, sample_period: 100ms", topology);
  sim::ChromeTraceOptions o;
  o.max_lanes = 16;
  const Traced a = run_traced(text, "wide_a.json", o);
  const Traced b = run_traced(text, "wide_b.json", o);
  REQUIRE(a.m["ranks"].get<std::int64_t>() == 4096);
  INFO(a.trace.problem);
  CHECK(a.trace.balanced);
  std::set<std::string> expected{"ckpt/stall"};
  for (std::int64_t r = 0; r < 4096; ++r) {
    if (sim::ChromeTraceWriter::lane_kept(r, 4096, 16))
      expected.insert(fmt::format("ckpt/rank {}", r));
  }
  CHECK(expected.size() == 17);
  CHECK(expected.count("ckpt/rank 0") == 1);
  CHECK(expected.count("ckpt/rank 4095") == 1);
  CHECK(a.trace.threads == expected);
  CHECK(a.trace.slices.at("write") == 16 * 2);
  CHECK(a.trace.doc["otherData"]["sampled_out_events"].get<std::int64_t>() > 0);
  CHECK(tests::read_text(a.path) == tests::read_text(b.path));
}

TEST_CASE("checkpoint: per-rank completion and stall CDFs agree with the percentiles",
          "[workloads][checkpoint]") {
  const std::string text =
      scenario("clients: [gpu-server-0, gpu-server-1], strategy: async, restore: false");
  Simulation sim(sim::config::load_string(text, "ckpt.yaml"));
  sim.run();
  const auto c = sim.metrics()["ckpt"]["checkpoints"][0];
  for (const auto& [cdf, pct] : {std::pair{"rank_completion_cdf", "rank_completion_s"},
                                 std::pair{"rank_stall_cdf", "rank_stall_s"}}) {
    INFO(cdf);
    const auto& q = c.at(cdf).at("quantile");
    const auto& v = c.at(cdf).at("seconds");
    REQUIRE(q.size() == 101);
    REQUIRE(v.size() == 101);
    for (std::size_t i = 0; i < 101; ++i) {
      CHECK(q[i].get<double>() == Approx(i / 100.0));
      if (i > 0)
        CHECK(v[i].get<double>() >= v[i - 1].get<double>());
    }
    CHECK(v[50].get<double>() == c[pct]["p50"].get<double>());
    CHECK(v[99].get<double>() == c[pct]["p99"].get<double>());
    CHECK(v[100].get<double>() == c[pct]["max"].get<double>());
    CHECK(v[0].get<double>() > 0);
  }
  // Async: ranks complete as the shared drive serves them, so the CDF
  // spreads from the first rank's completion to the checkpoint's end.
  const auto& done = c["rank_completion_cdf"]["seconds"];
  CHECK(done[100].get<double>() == Approx(c["time_to_durable_s"].get<double>()).epsilon(1e-6));
  CHECK(done[0].get<double>() < done[100].get<double>());
}

TEST_CASE("checkpoint: one rank writing through one drive uses it fully during the write",
          "[workloads][checkpoint]") {
  // One rank (DP 1): a 1 GB/s copy, then its two files written at the sink
  // drive's 2 GB/s; sampled every 10 ms.
  const std::string text =
      scenario("clients: [gpu-server-0], dp: 1, restore: false, sample_period: 10ms, fsync: false");
  const Traced t = run_traced(text, "one_rank.json");
  const auto& m = t.m;
  const auto& ts = m["time_series"];
  const auto& list = ts["bottlenecks"];
  REQUIRE(!list.empty());
  CHECK(list.size() <= 8);
  const nlohmann::json* drive = nullptr;
  for (const auto& b : list) {
    if (b["constraint"] == "storage-0/nvme0.media.write")
      drive = &b;
    for (const auto& u : b["utilization"]) {
      CHECK(u.get<double>() >= 0.0);
      CHECK(u.get<double>() <= 1.0);
    }
    CHECK(b["utilization"].size() == ts["t_s"].size());
  }
  REQUIRE(drive != nullptr);
  CHECK((*drive)["capacity_bytes_per_s"].get<double>() == Approx(kSinkRate));
  const auto& c = m["checkpoints"][0];
  const double bytes = m["checkpoint_bytes"].get<double>();
  // The rank's write slices (seconds), from the trace: the drive's 2 GB/s
  // is the only limit, so together they last bytes / 2 GB/s
  std::vector<std::pair<double, double>> writes;
  for (const auto& e : t.trace.doc["traceEvents"]) {
    if (e["ph"] == "B" && e["name"] == "write")
      writes.push_back({e["ts"].get<double>() / 1e6, 0});
    else if (e["ph"] == "E" && !writes.empty() && writes.back().second == 0)
      writes.back().second = e["ts"].get<double>() / 1e6;
  }
  REQUIRE(writes.size() == 2);  // ZeRO-3: optimizer and model states
  double writing = 0;
  for (const auto& [b, e] : writes)
    writing += e - b;
  // (plus each request's latency, ~0.5 ms)
  CHECK(writing >= bytes / kSinkRate);
  CHECK(writing - bytes / kSinkRate < 2e-3);
  // Every sample wholly inside a write reads 1.0; wholly before the first, 0.
  std::size_t inside = 0;
  double carried = 0;
  const double dt = ts["period_s"].get<double>();
  for (std::size_t i = 0; i < ts["t_s"].size(); ++i) {
    const double t1 = ts["t_s"][i].get<double>(), t0 = t1 - dt;
    const double u = (*drive)["utilization"][i].get<double>();
    carried += u * dt * kSinkRate;
    for (const auto& [b, e] : writes) {
      if (t0 >= b + 1e-6 && t1 <= e - 1e-6) {
        CHECK(u == Approx(1.0).epsilon(1e-6));
        ++inside;
      }
    }
    if (t1 <= writes.front().first - 1e-6)
      CHECK(u == 0.0);
  }
  CHECK(inside >= 5);
  // The series accounts for every byte the drive wrote, and the stall phase
  // (sync: the whole save) reports the drive's utilization over its window.
  CHECK(carried == Approx(bytes).epsilon(1e-3));
  const auto& phase = c.at("phases").at(0);
  const auto& top = phase["bottlenecks"][0];
  REQUIRE(top["constraint"] == "storage-0/nvme0.media.write");
  CHECK(top["utilization"].get<double>() ==
        Approx(bytes / kSinkRate / phase["duration_s"].get<double>()).epsilon(1e-3));
}

TEST_CASE("checkpoint trace: stormsim run --trace writes a capped, sampled trace",
          "[workloads][checkpoint][trace][cli]") {
  const auto dir = temp_dir() / "cli";
  std::filesystem::create_directories(dir);
  {
    std::ofstream f(dir / "s.yaml");
    f << scenario("clients: [gpu-server-0, gpu-server-1]");
  }
  const auto run = [&](std::vector<std::string> extra) {
    std::vector<std::string> args{"stormsim", "run", (dir / "s.yaml").string(),
                                  "-q",       "-o",  (dir / "out").string()};
    args.insert(args.end(), extra.begin(), extra.end());
    std::vector<const char*> argv;
    for (const auto& a : args)
      argv.push_back(a.c_str());
    std::ostringstream out, err;
    const int rc = app::run_cli(static_cast<int>(argv.size()), argv.data(), out, err);
    return std::make_pair(rc, out.str() + err.str());
  };
  const auto trace = dir / "t.json";
  auto [rc, text] = run({"--trace", trace.string(), "--trace-ranks", "4"});
  INFO(text);
  CHECK(rc == 0);
  CHECK(text.find("trace: ") != std::string::npos);
  auto s = tests::read_trace(trace);
  CHECK(s.balanced);
  CHECK(s.threads == std::set<std::string>{"ckpt/stall", "ckpt/restore", "ckpt/rank 0",
                                           "ckpt/rank 5", "ckpt/rank 10", "ckpt/rank 15"});

  std::tie(rc, text) = run({"--trace", trace.string(), "--trace-cap", "8KiB"});
  CHECK(rc == 0);
  CHECK(text.find("truncated") != std::string::npos);
  CHECK(std::filesystem::file_size(trace) <= 8192);
  s = tests::read_trace(trace);
  CHECK(s.balanced);
  CHECK(s.doc["otherData"]["truncated"] == true);

  std::tie(rc, text) = run({"--trace", trace.string(), "--trace-cap", "12"});
  CHECK(rc != 0);
  CHECK(text.find("--trace-cap") != std::string::npos);
  std::filesystem::remove_all(temp_dir());
}

}  // namespace stormsim::models
