// The max-min solver alone: flow arrivals and departures per second with N
// active flows on a k = 16 fat-tree (1,024 hosts, 100 Gb/s links, every link
// direction a constraint, ECMP by random choice of core).
//
// Two traffic patterns bound what users will see:
// - AllToAll: random host pairs. Every host NIC is saturated and every flow
//   shares a NIC with ~N/1024 others, so the whole system is one max-min
//   component and a change re-solves all of it (as it would in SimGrid).
// - Checkpoint: 960 hosts write to 64 storage hosts. Storage NICs are the
//   bottlenecks and nothing else couples them, so a change re-solves only
//   the flows of one storage NIC.
// Each iteration removes one random flow, adds one, and solves: two changes.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <vector>

#include "sim/flow/max_min.h"

namespace {

using stormsim::sim::flow::ConstraintId;
using stormsim::sim::flow::FlowId;
using stormsim::sim::flow::MaxMinSolver;

// A k-ary fat-tree as constraints: per host tx/rx, per edge-aggregation and
// aggregation-core link one constraint per direction.
class FatTree {
 public:
  explicit FatTree(MaxMinSolver& s, int k, double link) : k_(k), half_(k / 2) {
    const int hosts = k * k * k / 4;
    for (int h = 0; h < hosts; ++h) {
      tx_.push_back(s.add_constraint(link));
      rx_.push_back(s.add_constraint(link));
    }
    // edge e (global index) to its pod's aggregation switch a, both ways.
    const int edges = k * half_;
    for (int e = 0; e < edges; ++e) {
      for (int a = 0; a < half_; ++a) {
        edge_up_.push_back(s.add_constraint(link));
        edge_down_.push_back(s.add_constraint(link));
      }
    }
    // aggregation switch (pod p, index a) to core c = a * half + j.
    for (int p = 0; p < k; ++p) {
      for (int a = 0; a < half_; ++a) {
        for (int j = 0; j < half_; ++j) {
          agg_up_.push_back(s.add_constraint(link));
          agg_down_.push_back(s.add_constraint(link));
        }
      }
    }
  }

  int hosts() const { return k_ * k_ * k_ / 4; }

  // The path from host a to host b, with `choice` picking among equal paths.
  void path(int a, int b, std::uint64_t choice, std::vector<ConstraintId>& out) const {
    out.clear();
    out.push_back(tx_[a]);
    const int ea = a / half_, eb = b / half_;    // edge switches
    const int pa = ea / half_, pb = eb / half_;  // pods
    if (ea != eb) {
      const int agg = static_cast<int>(choice % half_);
      out.push_back(edge_up_[ea * half_ + agg]);
      if (pa != pb) {
        const int j = static_cast<int>((choice / half_) % half_);
        out.push_back(agg_up_[(pa * half_ + agg) * half_ + j]);
        out.push_back(agg_down_[(pb * half_ + agg) * half_ + j]);
      }
      out.push_back(edge_down_[eb * half_ + agg]);
    }
    out.push_back(rx_[b]);
  }

 private:
  int k_, half_;
  std::vector<ConstraintId> tx_, rx_, edge_up_, edge_down_, agg_up_, agg_down_;
};

template <bool kCheckpoint>
void BM_FlowChurn(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  MaxMinSolver s;
  FatTree tree(s, 16, 12.5e9);  // 100 Gb/s
  std::mt19937_64 rng(7);
  const int hosts = tree.hosts();
  const int storage = 64;
  auto endpoints = [&](int& a, int& b) {
    if constexpr (kCheckpoint) {
      a = static_cast<int>(rng() % (hosts - storage));
      b = hosts - storage + static_cast<int>(rng() % storage);
    } else {
      a = static_cast<int>(rng() % hosts);
      do
        b = static_cast<int>(rng() % hosts);
      while (b == a);
    }
  };
  std::vector<ConstraintId> p;
  auto add = [&] {
    int a, b;
    endpoints(a, b);
    tree.path(a, b, rng(), p);
    return s.add_flow(p);
  };
  std::vector<FlowId> flows;
  flows.reserve(n);
  for (std::size_t i = 0; i < n; ++i)
    flows.push_back(add());
  s.solve();
  const auto visited0 = s.stats().flows_visited;
  for (auto _ : state) {
    const std::size_t victim = rng() % n;
    s.remove_flow(flows[victim]);
    flows[victim] = add();
    benchmark::DoNotOptimize(s.solve().size());
  }
  state.SetItemsProcessed(2 * state.iterations());
  state.counters["rounds_per_solve"] = benchmark::Counter(static_cast<double>(s.stats().rounds) /
                                                          static_cast<double>(s.stats().solves));
  state.counters["flows_resolved_per_change"] = benchmark::Counter(
      static_cast<double>(s.stats().flows_visited - visited0) / (2.0 * state.iterations()));
}

BENCHMARK_TEMPLATE(BM_FlowChurn, false)
    ->Name("BM_FlowChurn_AllToAll")
    ->Arg(1024)
    ->Arg(10'000)
    ->Arg(100'000)
    ->Arg(1'000'000)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_TEMPLATE(BM_FlowChurn, true)
    ->Name("BM_FlowChurn_Checkpoint")
    ->Arg(1024)
    ->Arg(10'000)
    ->Arg(100'000)
    ->Arg(1'000'000)
    ->Unit(benchmark::kMicrosecond);

// A full solve from scratch of N flows: the cost the incremental solver
// avoids, and the cost of every change in the all-to-all pattern.
void BM_FullSolve(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  MaxMinSolver s;
  FatTree tree(s, 16, 12.5e9);
  std::mt19937_64 rng(7);
  std::vector<ConstraintId> p;
  for (std::size_t i = 0; i < n; ++i) {
    const int a = static_cast<int>(rng() % tree.hosts());
    const int b = (a + 1 + static_cast<int>(rng() % (tree.hosts() - 1))) % tree.hosts();
    tree.path(a, b, rng(), p);
    s.add_flow(p);
  }
  for (auto _ : state)
    benchmark::DoNotOptimize(s.solve_all().size());
  state.SetItemsProcessed(static_cast<std::int64_t>(n) * state.iterations());
}
BENCHMARK(BM_FullSolve)->Arg(1024)->Arg(100'000)->Arg(1'000'000)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
