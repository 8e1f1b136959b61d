// Loading a scenario (file or embedded default, with overrides) and turning
// a finished run into its result document.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "models/simulation.h"
#include "sim/config/node.h"

namespace stormsim::app {

// Where a scenario comes from and how the command line changes it.
struct ScenarioSource {
  std::string path;                   // empty: the embedded default scenario
  std::vector<std::string> sets;      // --set path=value, applied in order
  std::optional<std::uint64_t> seed;  // --seed, applied last
  std::string dlio;                   // --dlio: a DLIO workload config instead of a scenario
  std::optional<std::int64_t> ranks;  // --ranks: the DLIO run's rank count
};

// The scenario `stormsim run --dlio FILE` runs: the default scenario's
// cluster (1,024 H100s) and 3FS-like store, and a checkpoint workload taking
// the model, parallelism, precision, count, interval and fsync from FILE,
// with `ranks` ranks (default: one per GPU). A training workload (unet3d)
// runs as a `training` component on a Lustre-like file system, 8 ranks by
// default. Throws ConfigError when FILE is neither, or `ranks` does not fit
// its parallelism.
std::string dlio_scenario_text(const std::string& dlio_path, std::optional<std::int64_t> ranks);

// Loads, composes (extends:) and applies the overrides. Throws ConfigError.
// A `--set topology.…` reaches into a topology given as a file: the file is
// inlined first (inline_topology_file).
sim::config::Node load_scenario(const ScenarioSource& source);

// Replaces `topology: FILE` with the file's contents (its `extends:`
// resolved), so that overrides can address its keys; a map is left as it
// is. FILE is found as the simulation finds it: next to the scenario file
// that names it, else from the working directory. Throws ConfigError.
void inline_topology_file(sim::config::Node& root);

// The result document of a finished run: schema, versions, seed, the fully
// resolved inputs, metrics and time series. Holds nothing that varies
// between two runs of the same input (no wall-clock times, no host names).
nlohmann::json result_document(const models::Simulation& sim, const ScenarioSource& source);

// The schema identifier written into every result.
inline constexpr const char* kResultSchema = "stormsim.result.v1";

}  // namespace stormsim::app
