#include "experiments/app/sweep_command.h"

#include <fmt/format.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <optional>

#include "experiments/app/cli.h"
#include "experiments/sweep/mpi.h"
#include "experiments/sweep/runner.h"
#include "experiments/sweep/spec.h"
#include "sim/config/error.h"

namespace stormsim::app {

namespace fs = std::filesystem;

CLI::App* add_sweep_command(CLI::App& app, SweepOptions& o) {
  CLI::App* cmd = app.add_subcommand(
      "sweep", "run a sweep spec: many configurations of a scenario, one row per point");
  cmd->add_option("spec", o.spec, "sweep spec YAML (experiments/sweeps/)")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("-o,--out", o.out, "output directory (default: stormsim-out/sweeps/NAME)");
  cmd->add_option("-j,--jobs", o.jobs, "simulations at once (default: one per core)");
  cmd->add_flag("--resume", o.resume, "go on with an interrupted sweep in the same -o directory");
  cmd->add_option("--shard", o.shard,
                  "run only the i-th of N disjoint parts (0 <= i < N), for array jobs; join "
                  "the parts with `stormsim merge`")
      ->type_name("i/N");
  cmd->add_flag("--keep-results", o.keep_results,
                "also write every point's full result JSON to DIR/results/KEY.json");
  cmd->add_flag("--smoke", o.smoke,
                "apply the spec's `smoke:` overrides to every point: the same sweep, small and "
                "quick, to check a spec before the real run");
  cmd->add_flag("-q,--quiet", o.quiet, "print only the output directory");
  return cmd;
}

CLI::App* add_merge_command(CLI::App& app, MergeOptions& o) {
  CLI::App* cmd =
      app.add_subcommand("merge", "join the output directories of a sweep's shards into one");
  cmd->add_option("parts", o.parts, "the shards' output directories")
      ->required()
      ->check(CLI::ExistingDirectory);
  cmd->add_option("-o,--out", o.out, "the merged output directory")->required();
  cmd->add_flag("-q,--quiet", o.quiet, "print only the output directory");
  return cmd;
}

int command_sweep(const SweepOptions& o, std::ostream& out) {
  const sweep::Spec spec = sweep::load_spec(o.spec);
  if (o.smoke && spec.smoke_sets.empty()) {
    throw sim::config::ConfigError(sim::config::Location{o.spec, 0, 0}, "smoke",
                                   "--smoke: the spec has no `smoke: {set: ...}` section");
  }
  const sweep::Plan plan = sweep::make_plan(spec, o.smoke);
  sweep::RunOptions run;
  if (!o.shard.empty())
    run.shard = sweep::parse_shard(o.shard);
  run.jobs = o.jobs;
  run.resume = o.resume;
  run.keep_results = o.keep_results;
  run.progress = !o.quiet && ::isatty(::fileno(stderr)) ? stderr : nullptr;
  std::string default_name = o.smoke ? spec.name + ".smoke" : spec.name;
  if (!o.shard.empty())
    default_name += fmt::format(".shard-{}-of-{}", run.shard.index, run.shard.count);
  run.out = o.out.empty() ? fs::path("stormsim-out") / "sweeps" / default_name : fs::path(o.out);
  // Under mpirun: rank 0 journals and writes, the others run points.
  std::optional<sweep::MpiSession> mpi;
  bool handing_out = false;
  if (sweep::mpi_available() && sweep::mpi_launched()) {
    mpi.emplace();
    if (mpi->rank() != 0) {
      sweep::mpi_worker(plan, o.keep_results, run.out);
      return kOk;
    }
    const sweep::Executor coordinator = sweep::mpi_coordinator();
    run.executor = [&handing_out, coordinator](
                       const sweep::Plan& p, const std::vector<const sweep::Point*>& todo,
                       const fs::path* results, const sweep::RowSink& sink) {
      handing_out = true;
      coordinator(p, todo, results, sink);
    };
  }
  const auto started = std::chrono::steady_clock::now();
  sweep::Outcome outcome;
  try {
    outcome = sweep::run_sweep(plan, run);
  } catch (const std::exception& e) {
    // No worker may wait forever for rank 0.
    if (mpi && handing_out)
      sweep::mpi_abort(e.what());
    if (mpi)
      sweep::mpi_release_workers();
    throw;
  }
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (!o.quiet) {
    out << fmt::format(
        "sweep {}: {} points in this run{}{}; ran {} in {:.1f} s ({:.2f} points/s)\n", spec.name,
        outcome.planned, o.shard.empty() ? "" : fmt::format(" (shard {})", o.shard),
        outcome.skipped > 0 ? fmt::format(", {} already done", outcome.skipped) : "", outcome.ran,
        wall, wall > 0 ? static_cast<double>(outcome.ran) / wall : 0.0);
    for (const std::string& line : sweep::describe(outcome.summary, outcome.rows))
      out << "  " << line << "\n";
  }
  out << fmt::format("sweep: {}\n", (run.out / "sweep.json").string());
  return outcome.failed > 0 ? kSimulationError : kOk;
}

int command_merge(const MergeOptions& o, std::ostream& out) {
  std::vector<fs::path> parts(o.parts.begin(), o.parts.end());
  const sweep::Outcome outcome = sweep::merge(parts, o.out);
  if (!o.quiet) {
    out << fmt::format("merged {} directories\n", parts.size());
    for (const std::string& line : sweep::describe(outcome.summary, outcome.rows))
      out << "  " << line << "\n";
  }
  out << fmt::format("sweep: {}\n", (fs::path(o.out) / "sweep.json").string());
  return outcome.failed > 0 ? kSimulationError : kOk;
}

}  // namespace stormsim::app
