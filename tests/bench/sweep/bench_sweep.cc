// Sweep benchmark (issue 8 acceptance): a 1,000-point sweep of a 1,024-GPU
// checkpoint scenario (sweep.yaml over s1024.yaml), at -j 1 and -j 2.
//
//   bench_sweep                                   # both, 1,000 points each
//   SWEEP_POINTS=100 bench_sweep --benchmark_filter=Sweep/jobs:2
//
// Each case expands the spec (SWEEP_POINTS overrides its sample count), runs
// every point through the same code as `stormsim sweep` into a scratch
// directory and reports wall time, points per second and the mean
// simulation time per point. See README.md for the figures.
#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "experiments/sweep/runner.h"
#include "experiments/sweep/spec.h"

namespace {

namespace fs = std::filesystem;
using namespace stormsim;

void BM_Sweep(benchmark::State& state) {
  const auto jobs = static_cast<unsigned>(state.range(0));
  sweep::Spec spec =
      sweep::load_spec(std::string(STORMSIM_SOURCE_DIR) + "/tests/bench/sweep/sweep.yaml");
  if (const char* n = std::getenv("SWEEP_POINTS"))
    spec.samples = std::stoul(n);
  for (auto _ : state) {
    using Clock = std::chrono::steady_clock;
    const auto t0 = Clock::now();
    const sweep::Plan plan = sweep::make_plan(spec);
    sweep::RunOptions options;
    options.out = fs::temp_directory_path() / fmt::format("stormsim-bench-sweep-j{}", jobs);
    fs::remove_all(options.out);
    options.jobs = jobs;
    const sweep::Outcome outcome = sweep::run_sweep(plan, options);
    const double wall = std::chrono::duration<double>(Clock::now() - t0).count();
    if (outcome.failed > 0)
      state.SkipWithError("some points failed");
    state.counters["points"] = static_cast<double>(outcome.ran);
    state.counters["wall_s"] = wall;
    state.counters["points_per_s"] = static_cast<double>(outcome.ran) / wall;
    state.counters["s_per_point_per_job"] = wall * jobs / static_cast<double>(outcome.ran);
    fs::remove_all(options.out);
  }
}

BENCHMARK(BM_Sweep)
    ->ArgName("jobs")
    ->Arg(1)
    ->Arg(2)
    ->Iterations(1)
    ->Unit(benchmark::kSecond)
    ->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
