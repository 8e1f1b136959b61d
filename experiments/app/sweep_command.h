// `stormsim sweep SPEC [-j N] [-o DIR] [--resume] [--shard i/N]` and
// `stormsim merge -o DIR PART...`: capacity planning over many
// configurations (experiments/sweep/). Started by mpirun in a build with
// MPI, `sweep` spreads the points over the ranks (experiments/sweep/mpi.h).
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace stormsim::app {

struct SweepOptions {
  std::string spec;
  std::string out;    // empty: stormsim-out/sweeps/NAME (NAME.shard-i-of-N for a shard)
  unsigned jobs = 0;  // 0: one per core
  bool resume = false;
  std::string shard;  // "i/N"
  bool keep_results = false;
  bool quiet = false;
  bool smoke = false;
};

struct MergeOptions {
  std::vector<std::string> parts;
  std::string out;
  bool quiet = false;
};

CLI::App* add_sweep_command(CLI::App& app, SweepOptions& o);
CLI::App* add_merge_command(CLI::App& app, MergeOptions& o);

// Expands the spec, runs its points and prints the summary: counts, the
// Pareto front and the cheapest configuration meeting the target. Returns
// kOk, or kSimulationError when some point failed (its row says why).
int command_sweep(const SweepOptions& o, std::ostream& out);
int command_merge(const MergeOptions& o, std::ostream& out);

}  // namespace stormsim::app
