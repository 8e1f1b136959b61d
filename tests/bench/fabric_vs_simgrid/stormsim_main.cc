// bench_fabric_stormsim N: the fabric workload (scenario.h) on
// sim::flow::FlowSystem, one process per writer keeping four chunks in flight.
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <vector>

#include "sim/engine.h"
#include "sim/flow/flow_system.h"
#include "sim/quantity.h"
#include "sim/task.h"
#include "sim/time.h"
#include "sim/when.h"
#include "tests/bench/fabric_vs_simgrid/report.h"
#include "tests/bench/fabric_vs_simgrid/scenario.h"

namespace {

namespace fabric = stormsim::bench::fabric;
using stormsim::sim::Bytes;
using stormsim::sim::BytesPerSec;
using stormsim::sim::Engine;
using stormsim::sim::Task;
using stormsim::sim::Time;
using stormsim::sim::when_all;
using stormsim::sim::flow::ConstraintId;
using stormsim::sim::flow::FlowSystem;
using stormsim::sim::flow::TransferOptions;

// One constraint per GPU NIC upload, one for the backbone, one per storage NIC
// download: the only directions this workload loads.
struct Fabric {
  Fabric(Engine& engine, std::uint32_t n) : n(n), flows(engine) {
    gpu_tx.reserve(n);
    for (std::uint32_t i = 0; i < n; ++i)
      gpu_tx.push_back(flows.add_constraint(BytesPerSec(fabric::kGpuNicBytesPerSec)));
    backbone = flows.add_constraint(BytesPerSec(fabric::backbone_bytes_per_sec(n)), "backbone");
    storage_rx.reserve(fabric::storage_servers(n));
    for (std::uint32_t s = 0; s < fabric::storage_servers(n); ++s)
      storage_rx.push_back(flows.add_constraint(BytesPerSec(fabric::kStorageNicBytesPerSec)));
  }

  std::uint32_t n;
  FlowSystem flows;
  std::vector<ConstraintId> gpu_tx;
  ConstraintId backbone = 0;
  std::vector<ConstraintId> storage_rx;
  std::uint64_t chunks_landed = 0;
};

const TransferOptions kChunkOptions{.latency =
                                        Time::from_ns(fabric::kHops * fabric::kHopLatencyNs)};

// One of a writer's four lanes: takes the writer's next chunk as soon as its
// previous one has landed, as SimGrid's wait_any loop does.
Task<void> lane(Fabric& f, std::uint32_t writer, std::uint32_t& next_chunk) {
  while (next_chunk < fabric::kChunks) {
    const std::uint32_t chunk = next_chunk++;
    const std::array<ConstraintId, 3> path{f.gpu_tx[writer], f.backbone,
                                           f.storage_rx[fabric::destination(f.n, writer, chunk)]};
    co_await f.flows.transfer(path, Bytes(fabric::kChunkBytes), kChunkOptions);
    ++f.chunks_landed;
  }
}

Task<void> writer(Fabric& f, std::uint32_t i) {
  std::uint32_t next_chunk = 0;
  std::vector<Task<void>> lanes;
  lanes.reserve(fabric::kInFlight);
  for (std::uint32_t k = 0; k < fabric::kInFlight; ++k)
    lanes.push_back(lane(f, i, next_chunk));
  co_await when_all(std::move(lanes));
}

fabric::Result simulate(std::uint32_t n) {
  const auto start = std::chrono::steady_clock::now();
  Engine engine;
  Fabric f(engine, n);
  for (std::uint32_t i = 0; i < n; ++i)
    engine.spawn(writer(f, i));
  const double setup_s = fabric::seconds_since(start);

  const auto run_start = std::chrono::steady_clock::now();
  engine.run();
  const double run_s = fabric::seconds_since(run_start);

  const std::uint64_t flows = std::uint64_t{n} * fabric::kChunks;
  if (f.chunks_landed != flows || f.flows.active_flows() != 0)
    throw std::runtime_error("not every chunk landed");
  return {"stormsim", n, flows, engine.now().seconds(), setup_s, run_s};
}

}  // namespace

int main(int argc, char** argv) {
  try {
    fabric::print_json(simulate(fabric::parse_gpu_count(argc, argv)));
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_fabric_stormsim: %s\n", e.what());
    return 2;
  }
}
