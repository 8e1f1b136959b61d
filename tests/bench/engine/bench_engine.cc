// The whole engine, not only its queue: the hold model through
// schedule_at/callbacks (event pool, cancellation checks, callable storage),
// coroutine context switches, and process spawning.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <vector>

#include "sim/engine.h"
#include "sim/random.h"
#include "sim/sync.h"

namespace {

using stormsim::sim::Engine;
using stormsim::sim::Event;
using stormsim::sim::Signal;
using stormsim::sim::Task;
using stormsim::sim::Time;

// Pre-drawn exponential delays (mean 1 ms) so RNG cost is not measured.
std::vector<Time> delays(std::size_t n) {
  stormsim::sim::Rng rng(42);
  std::vector<Time> d(n);
  for (auto& t : d)
    t = Time::from_ns(1 + static_cast<std::int64_t>(rng.exponential(1e6)));
  return d;
}

// Each event reschedules itself once, so the pending count stays at N.
struct Hold {
  Engine* engine;
  const std::vector<Time>* delays;
  std::size_t* next;
  void operator()() const {
    const Time d = (*delays)[(*next)++ & (delays->size() - 1)];
    engine->schedule_in(d, *this);
  }
};

void BM_EngineHold(benchmark::State& state) {
  const auto pending = static_cast<std::size_t>(state.range(0));
  const std::vector<Time> d = delays(1 << 20);
  Engine engine(1);
  std::size_t next = 0;
  for (std::size_t i = 0; i < pending; ++i)
    engine.schedule_in(d[i], Hold{&engine, &d, &next});
  for (auto _ : state)
    engine.step();
  state.SetItemsProcessed(state.iterations());
  state.counters["pending"] = static_cast<double>(engine.pending());
}
BENCHMARK(BM_EngineHold)->Arg(1024)->Arg(100000)->Arg(1000000);

// Serves first: wakes the other player, then waits for the return.
Task<void> ping(Signal& mine, Signal& theirs, std::int64_t rounds) {
  for (std::int64_t i = 0; i < rounds; ++i) {
    theirs.notify_one();
    co_await mine.wait();
  }
}

Task<void> pong(Signal& mine, Signal& theirs, std::int64_t rounds) {
  for (std::int64_t i = 0; i < rounds; ++i) {
    co_await mine.wait();
    theirs.notify_one();
  }
}

// Two processes handing control back and forth through signals: every
// switch is one suspension, one event and one resumption.
void BM_CoroutinePingPong(benchmark::State& state) {
  const std::int64_t rounds = 100000;
  for (auto _ : state) {
    Engine engine(1);
    Signal a(engine), b(engine);
    engine.spawn(pong(b, a, rounds));  // first, so it waits before ping serves
    engine.spawn(ping(a, b, rounds));
    engine.run();
    if (engine.live_processes() != 0 ||
        engine.events_processed() != static_cast<std::uint64_t>(2 * rounds + 2)) {
      state.SkipWithError("ping-pong did not complete every round");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * 2 * rounds);
  state.SetLabel("items = context switches");
}
BENCHMARK(BM_CoroutinePingPong)->Unit(benchmark::kMillisecond);

Task<void> sleeper(Engine& e, Time d) {
  co_await e.sleep(d);
}

// Spawning short processes: one coroutine frame allocation each.
void BM_SpawnProcess(benchmark::State& state) {
  const std::vector<Time> d = delays(1 << 16);
  const int n = 100000;
  for (auto _ : state) {
    Engine engine(1);
    for (int i = 0; i < n; ++i)
      engine.spawn(sleeper(engine, d[i & 0xffff]));
    engine.run();
  }
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_SpawnProcess)->Unit(benchmark::kMillisecond);

}  // namespace
