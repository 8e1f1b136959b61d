#include "experiments/app/run_scenario.h"

#include <fmt/format.h>

#include <filesystem>

#include "experiments/app/cli.h"
#include "sim/config/compose.h"

namespace stormsim::app {

sim::config::Node load_scenario(const ScenarioSource& source) {
  sim::config::Node root = source.path.empty() ? sim::config::load_scenario_string(
                                                     default_scenario_text(), "<default scenario>",
                                                     std::filesystem::current_path().string())
                                               : sim::config::load_scenario(source.path);
  for (const std::string& assignment : source.sets)
    sim::config::apply_override(root, assignment);
  if (source.seed)
    sim::config::apply_override(root, fmt::format("seed={}", *source.seed));
  return root;
}

nlohmann::json result_document(const models::Simulation& sim, const ScenarioSource& source) {
  nlohmann::json doc;
  doc["schema"] = kResultSchema;
  doc["stormsim"] = {{"version", version()}, {"commit", git_commit()}};
  doc["scenario"] = {{"name", sim.name()},
                     {"source", source.path.empty() ? "<default scenario>" : source.path}};
  doc["seed"] = sim.seed();
  doc["inputs"] = sim.inputs();
  doc["engine"] = {{"events", sim.events_processed()},
                   {"end_time_ns", sim.end_time().ns()},
                   {"end_time", sim::to_string(sim.end_time())}};
  nlohmann::json metrics = sim.metrics();
  // Time series are split out of each component's metrics so that tools
  // reading scalars need not skip arrays.
  nlohmann::json series = nlohmann::json::object();
  for (auto& [component, m] : metrics.items()) {
    if (m.is_object() && m.contains("time_series")) {
      series[component] = std::move(m["time_series"]);
      m.erase("time_series");
    }
  }
  doc["metrics"] = std::move(metrics);
  doc["time_series"] = std::move(series);
  return doc;
}

}  // namespace stormsim::app
