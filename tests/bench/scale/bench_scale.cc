// Scale benchmark (issue 5 acceptance): a llama3-1t checkpoint from every GPU
// of a k-ary fat-tree cluster to a 3FS-like chain store, flow-level.
//
//   bench_scale --benchmark_filter=Checkpoint/16384   # 131,072 GPUs
//   bench_scale --benchmark_filter=Checkpoint/2048    # 16,384 GPUs
//
// Each case builds the scenario (YAML text, the same path as `stormsim run`),
// runs it once and reports: build and run wall time, peak RSS (the process's
// high-water mark, so run one case per process for a clean figure), events
// and flows processed and their rates. See README.md for the figures.
#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "models/simulation.h"
#include "models/workloads/checkpoint.h"
#include "sim/config/node.h"

namespace {

using stormsim::models::Checkpoint;
using stormsim::models::Simulation;

struct Case {
  std::int64_t gpu_servers;
  std::int64_t storage_servers;
  std::int64_t k;  // fat-tree port count: k^3/4 host ports, one per NIC
};

// Granularity knobs, overridable from the environment for experiments
// (SCALE_QUANTUM=10ms, SCALE_CHUNK=256MiB, SCALE_IN_FLIGHT=1).
std::string knob(const char* name, const char* def) {
  const char* v = std::getenv(name);
  return v != nullptr ? v : def;
}

// The scenario. Granularity choices, all for speed at this size:
//  - chunk_size 64 MiB (3FS's largest per-file chunk size; its default
//    layout uses 512 KiB): ~14 TB / 64 MiB ~ 200 K chunks, 3 flows each
//    (CRAQ chain of 3), instead of ~27 M chunks at 512 KiB.
//  - chunks_in_flight 4 per rank: 131,072 ranks keep ~500 K chunks, i.e.
//    ~1.5 M flows, in the solver at once at most.
//  - flow_quantum 1 ms: re-solves batched to 1 ms instants (each transfer
//    ends up to ~1 ms late on a save of seconds).
//  - flow_message_size 4 KiB: requests, acks and metadata messages take
//    their path's latency and serialization outside the sharing.
//  - attribute: false, restore: false: no per-phase bottleneck attribution
//    nor max-flow physical limit, and one save only.
std::string scenario(const Case& c) {
  return fmt::format(R"(name: scale
seed: 1
duration: 1h
flow_quantum: {quantum}
flow_message_size: 4KiB
topology:
  name: fat-tree-k{k}
  gpu_servers:
    count: {gpu}
  storage_servers:
    count: {storage}
  fabric:
    generator: fat_tree
    k: {k}
  routing:
    policy: per_flow
    seed: 0
components:
  - name: fs
    type: chain_store
    chunk_size: {chunk}
    chunks_in_flight: {in_flight}
  - name: ckpt
    type: checkpoint
    storage: fs
    model: llama3-1t
    count: 1
    restore: false
    attribute: false
    sample_period: 1s
)",
                     fmt::arg("k", c.k), fmt::arg("gpu", c.gpu_servers),
                     fmt::arg("storage", c.storage_servers),
                     fmt::arg("quantum", knob("SCALE_QUANTUM", "10ms")),
                     fmt::arg("chunk", knob("SCALE_CHUNK", "64MiB")),
                     fmt::arg("in_flight", knob("SCALE_IN_FLIGHT", "1")));
}

double peak_rss_bytes() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) * 1024.0;  // Linux: KiB
}

void BM_Checkpoint(benchmark::State& state) {
  const Case c{state.range(0), state.range(1), state.range(2)};
  const std::string text = scenario(c);
  for (auto _ : state) {
    using Clock = std::chrono::steady_clock;
    const auto t0 = Clock::now();
    Simulation sim(stormsim::sim::config::load_string(text, "scale.yaml"));
    const auto t1 = Clock::now();
    sim.run();
    const auto t2 = Clock::now();
    const double build_s = std::chrono::duration<double>(t1 - t0).count();
    const double run_s = std::chrono::duration<double>(t2 - t1).count();

    const auto& ckpt = dynamic_cast<const Checkpoint&>(*sim.components().at(1));
    const nlohmann::json fs = sim.components().at(0)->metrics(sim.end_time());
    const auto chunks = fs.at("chunks_written").get<double>();
    const auto chain = fs.at("chain_length").get<double>();
    // Flows started: one per chain hop of every chunk written, plus each
    // rank's GPU-to-host copy. The flow system keeps no count of its own.
    const double flows = chunks * chain + static_cast<double>(ckpt.ranks());
    const auto events = static_cast<double>(sim.events_processed());
    const double stall = ckpt.records().empty() ? 0.0 : ckpt.records().front().stall_s();

    state.counters["gpus"] = static_cast<double>(ckpt.ranks());
    state.counters["build_s"] = build_s;
    state.counters["run_s"] = run_s;
    state.counters["wall_s"] = build_s + run_s;
    state.counters["peak_rss_GiB"] = peak_rss_bytes() / (1024.0 * 1024.0 * 1024.0);
    state.counters["events"] = events;
    state.counters["events_per_s"] = events / run_s;
    state.counters["flows"] = flows;
    state.counters["flows_per_s"] = flows / run_s;
    state.counters["solves"] = static_cast<double>(sim.cluster()->flows().solves());
    state.counters["ckpt_TB"] = ckpt.records().empty() ? 0.0 : ckpt.records().front().bytes / 1e12;
    state.counters["stall_sim_s"] = stall;
  }
}

// gpu servers, storage servers, fat-tree k. k is the smallest even k whose
// k^3/4 ports hold every NIC (8 per GPU server, 2 per storage server), with
// storage starting on a fresh edge switch.
BENCHMARK(BM_Checkpoint)
    ->ArgNames({"servers", "storage", "k"})
    ->Args({2048, 1000, 42})
    ->Args({16384, 1000, 82})
    ->Iterations(1)
    ->Unit(benchmark::kSecond)
    ->UseRealTime();

void progress(const Case& c) {
  using Clock = std::chrono::steady_clock;
  const auto t0 = Clock::now();
  Simulation sim(stormsim::sim::config::load_string(scenario(c), "scale.yaml"));
  auto& flows = sim.cluster()->flows();
  fmt::print(stderr, "built in {:.2f} s, rss {:.2f} GiB\n",
             std::chrono::duration<double>(Clock::now() - t0).count(),
             peak_rss_bytes() / (1 << 30));
  for (const auto& comp : sim.components())
    comp->start();
  for (int step = 1; step <= 600 && sim.engine().pending() > 0; ++step) {
    sim.engine().run_until(stormsim::sim::Time::from_seconds(0.1 * step));
    fmt::print(
        stderr,
        "t={:.1f}s wall={:.1f}s events={} solves={} active={} rounds={} visited={} rss={:.2f}GiB\n",
        0.1 * step, std::chrono::duration<double>(Clock::now() - t0).count(),
        sim.events_processed(), flows.solves(), flows.active_flows(), flows.solver().stats().rounds,
        flows.solver().stats().flows_visited, peak_rss_bytes() / (1 << 30));
  }
}

}  // namespace

// SCALE_PROGRESS=<servers> runs that case in 100 ms simulated steps and
// prints progress to stderr instead of benchmarking (for profiling).
int main(int argc, char** argv) {
  if (const char* p = std::getenv("SCALE_PROGRESS")) {
    const std::int64_t servers = std::stoll(p);
    const Case c = servers > 2048 ? Case{servers, 1000, 82} : Case{servers, 1000, 42};
    progress(c);
    return 0;
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv))
    return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
