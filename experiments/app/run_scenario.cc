#include "experiments/app/run_scenario.h"

#include <fmt/format.h>

#include <filesystem>

#include "experiments/app/cli.h"
#include "models/cluster.h"
#include "models/cost/tco_metrics.h"
#include "models/workloads/dlio.h"
#include "sim/config/compose.h"
#include "sim/flow/flow_system.h"

namespace stormsim::app {

namespace {

// The cluster --dlio runs on: topologies/h100-superpod-1024.yaml, inlined so
// that the scenario needs no file.
constexpr const char* kDlioTopology = R"(topology:
  name: h100-superpod-1024
  gpu_servers:
    count: 128
  storage_servers:
    count: 32
  fabric:
    generator: rail_optimized
    servers_per_su: 32
    spines: 16
    oversubscription: 1
    storage_servers_per_leaf: 16
  routing:
    policy: per_flow
    seed: 0
)";

}  // namespace

std::string dlio_scenario_text(const std::string& dlio_path, std::optional<std::int64_t> ranks) {
  const std::string path = std::filesystem::absolute(dlio_path).string();
  const models::DlioConfig cfg = models::load_dlio(path);
  if (cfg.workflow.train && !cfg.workflow.checkpoint) {
    // A training workload: its data reads on one storage service, AU against
    // metric.au; 8 ranks (one DGX) unless --ranks says otherwise.
    return fmt::format(R"(name: dlio-{name}
description: the DLIO training workload {file} on H100s with a Lustre-like file system
seed: 1
duration: 1d
{topology}components:
  - name: fs
    type: lustre
  - name: job
    type: training
    storage: fs
    dlio: "{file}"
    ranks: {ranks}
)",
                       fmt::arg("name", cfg.model_name), fmt::arg("file", path),
                       fmt::arg("ranks", ranks.value_or(8)), fmt::arg("topology", kDlioTopology));
  }
  if (!cfg.workflow.checkpoint || !cfg.transformer) {
    throw sim::config::ConfigError(
        sim::config::Location{path, 1, 1}, "workflow",
        fmt::format("`{}` is neither a transformer checkpoint workload nor a training workload "
                    "(workflow.checkpoint: {}, workflow.train: {}, model.type: {})",
                    dlio_path, cfg.workflow.checkpoint ? "True" : "False",
                    cfg.workflow.train ? "True" : "False", cfg.model_type));
  }
  constexpr std::int64_t kGpus = 1024;  // the cluster below
  const models::llm::Parallelism par = models::resolve_parallelism(cfg, ranks.value_or(kGpus));
  if (par.ranks() > kGpus) {
    throw sim::config::ConfigError(
        sim::config::Location{path, 1, 1}, "ranks",
        fmt::format("{} ranks, but the cluster has {} GPUs", par.ranks(), kGpus));
  }
  const int count = std::max(1, cfg.checkpoint.num_checkpoints_write);
  const double interval = std::max(0.0, cfg.checkpoint.time_between_checkpoints_s);
  // Room for every checkpoint and the restore: a generous bound.
  const double duration = count * (interval + 300.0) + 300.0;
  return fmt::format(R"(name: dlio-{name}
description: the DLIO checkpoint workload {file} on 1,024 H100s with a 3FS-like store
seed: 1
duration: {duration}s
flow_quantum: 1ms
flow_message_size: 4KiB
{topology}components:
  - name: fs
    type: chain_store
    chunk_size: 64MiB
    chunks_in_flight: 4
  - name: ckpt
    type: checkpoint
    storage: fs
    dlio: "{file}"
    dp: {dp}
)",
                     fmt::arg("name", cfg.model_name), fmt::arg("file", path),
                     fmt::arg("duration", duration), fmt::arg("dp", par.dp),
                     fmt::arg("topology", kDlioTopology));
}

void inline_topology_file(sim::config::Node& root) {
  sim::config::Node* topology = root.find("topology");
  if (topology == nullptr || !topology->is_scalar() || topology->scalar().empty())
    return;
  std::filesystem::path path(topology->scalar());
  if (path.is_relative()) {
    const std::filesystem::path file(topology->location().file);
    if (file.has_parent_path() && std::filesystem::exists(file.parent_path() / path))
      path = file.parent_path() / path;
  }
  if (!std::filesystem::exists(path)) {
    throw sim::config::ConfigError(topology->location(), "topology",
                                   fmt::format("no topology file `{}` (looked next to the "
                                               "scenario file and in the working directory)",
                                               topology->scalar()));
  }
  sim::config::Node inlined = sim::config::load_scenario(path.string());
  *topology = std::move(inlined);
}

namespace {

void apply_sets(sim::config::Node& root, const ScenarioSource& source) {
  for (const std::string& assignment : source.sets) {
    if (assignment.rfind("topology.", 0) == 0)
      inline_topology_file(root);
    sim::config::apply_override(root, assignment);
  }
  if (source.seed)
    sim::config::apply_override(root, fmt::format("seed={}", *source.seed));
}

}  // namespace

sim::config::Node load_scenario(const ScenarioSource& source) {
  if (!source.dlio.empty()) {
    sim::config::Node root = sim::config::load_scenario_string(
        dlio_scenario_text(source.dlio, source.ranks), "<dlio scenario>",
        std::filesystem::current_path().string());
    apply_sets(root, source);
    return root;
  }
  sim::config::Node root = source.path.empty() ? sim::config::load_scenario_string(
                                                     default_scenario_text(), "<default scenario>",
                                                     std::filesystem::current_path().string())
                                               : sim::config::load_scenario(source.path);
  apply_sets(root, source);
  return root;
}

nlohmann::json result_document(const models::Simulation& sim, const ScenarioSource& source) {
  nlohmann::json doc;
  doc["schema"] = kResultSchema;
  doc["stormsim"] = {{"version", version()}, {"commit", git_commit()}};
  doc["scenario"] = {{"name", sim.name()},
                     {"source", !source.dlio.empty()  ? "dlio:" + source.dlio
                                : source.path.empty() ? "<default scenario>"
                                                      : source.path}};
  doc["seed"] = sim.seed();
  doc["inputs"] = sim.inputs();
  doc["engine"] = {{"events", sim.events_processed()},
                   {"end_time_ns", sim.end_time().ns()},
                   {"end_time", sim::to_string(sim.end_time())}};
  // The bandwidth solver's work: where a run's time goes, for tuning
  // flow_quantum and flow_message_size.
  if (const models::Cluster* c = sim.cluster()) {
    const sim::flow::FlowSystem& flows = c->flows();
    const sim::flow::MaxMinSolver::Stats& s = flows.solver().stats();
    doc["engine"]["flows"] = {{"solves", s.solves},
                              {"rounds", s.rounds},
                              {"whole_rounds", s.whole_rounds},
                              {"flows_visited", s.flows_visited},
                              {"rate_changes", s.rate_changes},
                              {"messages", flows.messages()}};
  }
  nlohmann::json metrics = sim.metrics();
  // What the run costs at the default price book (models/cost/price_book.yaml;
  // `stormsim tco --price-book` prices it at others).
  if (sim.cluster() != nullptr)
    metrics["cost"] = models::cost::tco_metrics(sim, models::cost::default_price_book(), metrics);
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
