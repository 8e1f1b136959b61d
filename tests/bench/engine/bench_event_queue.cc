// Hold-model benchmarks of every event-queue design in sim/event_queue/.
//
// The hold model (Vaucher & Duval 1975; Jones, CACM 1986) keeps the queue at a
// constant size: pop the minimum, push one event a random delay later. One
// hold = one event processed, reported as items/s. Delays are drawn once, before
// timing, from a fixed-seed table, so RNG cost is not measured; each run first
// does 2N untimed holds so the queue is near its steady state.
#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <random>
#include <utility>
#include <vector>

#include "sim/event_queue.h"

namespace {

using stormsim::sim::QueueEntry;
using stormsim::sim::queues::BinaryHeap;
using stormsim::sim::queues::LadderQueue;
using stormsim::sim::queues::PairingHeap;
using stormsim::sim::queues::QuaternaryHeap;
using stormsim::sim::queues::RadixHeap;

// 64 Ki delays (512 KiB): enough variety, and small enough to stay in L2
// rather than compete with the queue for cache.
constexpr std::size_t kDelayCount = std::size_t{1} << 16;

// Draws from a mixture of exponentials: (share, mean in ns) per component.
std::vector<std::int64_t> draw_delays(std::initializer_list<std::pair<double, double>> mixture) {
  std::mt19937_64 rng(2024);
  std::uniform_real_distribution<double> pick(0, 1);
  std::vector<std::int64_t> delays(kDelayCount);
  for (std::int64_t& d : delays) {
    double u = pick(rng);
    double mean_ns = mixture.begin()->second;
    for (const auto& [share, mean] : mixture) {
      mean_ns = mean;
      if ((u -= share) < 0) {
        break;
      }
    }
    d = static_cast<std::int64_t>(std::exponential_distribution<double>(1 / mean_ns)(rng));
  }
  return delays;
}

// The mix a storage/network simulation schedules, each part exponential:
// 80% with mean 1 us (per-packet and per-request steps), 15% mean 1 ms (I/O
// completions, compute phases), 5% mean 1 s (timeouts, checkpoints). The long
// ones pile up in the queue while the short ones churn at its front, as in a
// real run; at 1M pending, simulated time advances ~50 ns per event.
const std::vector<std::int64_t>& mixed_delays() {
  static const std::vector<std::int64_t> delays = draw_delays({{0.80, 1e3}, {0.15, 1e6}, {0.05, 1e9}});
  return delays;
}

// A plain exponential with mean 1 us, the classic hold-model distribution. At
// 1M pending, all of them lie within a few microseconds, so most pops tie with
// hundreds of others: a stress test of the FIFO tie path more than a realistic load.
const std::vector<std::int64_t>& exponential_delays() {
  static const std::vector<std::int64_t> delays = draw_delays({{1.0, 1e3}});
  return delays;
}

template <class Queue>
void run_hold(benchmark::State& state, const std::vector<std::int64_t>& delays) {
  const auto pending = static_cast<std::size_t>(state.range(0));
  std::size_t next = 0;
  const auto delay = [&] { return delays[next++ & (kDelayCount - 1)]; };
  Queue queue;
  queue.reserve(pending);
  for (std::size_t i = 0; i < pending; ++i) {
    queue.push(delay(), static_cast<std::uint32_t>(i));
  }
  const auto hold = [&] {
    const QueueEntry entry = queue.top();
    queue.pop();
    queue.push(entry.time + delay(), entry.payload);
  };
  for (std::size_t i = 0; i < 2 * pending; ++i) {
    hold();
  }
  for (auto _ : state) {
    hold();
  }
  benchmark::DoNotOptimize(queue.size());
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

template <class Queue>
void BM_Hold(benchmark::State& state) {
  run_hold<Queue>(state, mixed_delays());
}

template <class Queue>
void BM_HoldExp(benchmark::State& state) {
  run_hold<Queue>(state, exponential_delays());
}

// A fixed iteration count runs each case once: letting the library probe for a
// count would repeat the untimed setup (up to 3M operations) at every probe.
constexpr benchmark::IterationCount kHolds = std::int64_t{1} << 22;

void hold_sizes(benchmark::internal::Benchmark* b) {
  b->Arg(1024)->Arg(100000)->Arg(1000000)->Iterations(kHolds);
}

}  // namespace

BENCHMARK_TEMPLATE(BM_Hold, BinaryHeap)->Apply(hold_sizes);
BENCHMARK_TEMPLATE(BM_Hold, QuaternaryHeap)->Apply(hold_sizes);
BENCHMARK_TEMPLATE(BM_Hold, PairingHeap)->Apply(hold_sizes);
BENCHMARK_TEMPLATE(BM_Hold, LadderQueue)->Apply(hold_sizes);
BENCHMARK_TEMPLATE(BM_Hold, RadixHeap)->Apply(hold_sizes);

BENCHMARK_TEMPLATE(BM_HoldExp, BinaryHeap)->Apply(hold_sizes);
BENCHMARK_TEMPLATE(BM_HoldExp, QuaternaryHeap)->Apply(hold_sizes);
BENCHMARK_TEMPLATE(BM_HoldExp, PairingHeap)->Apply(hold_sizes);
BENCHMARK_TEMPLATE(BM_HoldExp, LadderQueue)->Apply(hold_sizes);
BENCHMARK_TEMPLATE(BM_HoldExp, RadixHeap)->Apply(hold_sizes);
