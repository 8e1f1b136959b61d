// Every shipped sweep (experiments/sweeps/) expands, every one of its points
// is a valid scenario at full scale, and the whole sweep runs at its smoke
// scale with every metric found and the Pareto front and target answered.
#include <catch2/catch.hpp>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "experiments/sweep/runner.h"
#include "experiments/sweep/spec.h"
#include "models/simulation.h"

namespace fs = std::filesystem;
using namespace stormsim;

namespace {

std::vector<fs::path> shipped_sweeps() {
  std::vector<fs::path> files;
  for (const auto& e :
       fs::directory_iterator(fs::path(STORMSIM_SOURCE_DIR) / "experiments" / "sweeps")) {
    if (e.is_regular_file() && e.path().extension() == ".yaml")
      files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

TEST_CASE("the issue's three shipped sweeps are there", "[experiments][sweep]") {
  std::set<std::string> names;
  for (const fs::path& f : shipped_sweeps())
    names.insert(f.filename().string());
  CHECK(names.count("llama405b_storage_x_strategy.yaml"));
  CHECK(names.count("services_at_equal_cost.yaml"));
  CHECK(names.count("interval_x_bandwidth_goodput.yaml"));
}

TEST_CASE("every shipped sweep's points are valid scenarios", "[experiments][sweep]") {
  for (const fs::path& file : shipped_sweeps()) {
    INFO(file.string());
    const sweep::Spec spec = sweep::load_spec(file.string());
    // Expanding resolves every point's overrides against the base scenario.
    const sweep::Plan plan = sweep::make_plan(spec);
    CHECK(plan.points.size() >= 8);
    CHECK_FALSE(spec.smoke_sets.empty());
    // Building the first point validates its parameters at full scale (up to
    // 16,384 GPUs, seconds each); the smoke run builds and runs every
    // configuration, small.
    CHECK_NOTHROW(models::Simulation(sweep::point_scenario(plan, plan.points.front())));
  }
}

TEST_CASE("every shipped sweep runs at smoke scale", "[experiments][sweep]") {
  for (const fs::path& file : shipped_sweeps()) {
    INFO(file.string());
    const sweep::Spec spec = sweep::load_spec(file.string());
    const sweep::Plan plan = sweep::make_plan(spec, true);
    sweep::RunOptions options;
    options.out = fs::temp_directory_path() / ("stormsim-shipped-sweep-" + spec.name);
    fs::remove_all(options.out);
    options.jobs = 2;
    const sweep::Outcome outcome = sweep::run_sweep(plan, options);
    CHECK(outcome.ran == plan.points.size());
    CHECK(outcome.failed == 0);
    for (const auto& row : outcome.rows) {
      INFO(row.dump());
      for (const auto& [name, value] : row["metrics"].items())
        CHECK(value.is_number());
    }
    if (spec.pareto)
      CHECK_FALSE(outcome.summary["pareto"]["front"].empty());
    if (spec.target)
      CHECK(outcome.summary["target"].contains("meeting"));
  }
}
