#include "experiments/app/tco_command.h"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <optional>

#include "experiments/app/cli.h"
#include "experiments/app/run_scenario.h"
#include "models/cost/inventory.h"
#include "models/cost/price_book.h"
#include "models/cost/tco.h"
#include "models/cost/tco_metrics.h"
#include "models/simulation.h"
#include "sim/atomic_file.h"
#include "sim/config/error.h"
#include "sim/config/node.h"
#include "topologies/loader.h"

namespace stormsim::app {
namespace {

namespace cost = models::cost;

// A topology file has servers and a fabric but no components.
bool is_topology_file(const std::string& path) {
  const sim::config::Node root = sim::config::load_file(path);
  return root.is_map() && root.find("components") == nullptr &&
         (root.find("fabric") != nullptr || root.find("gpu_servers") != nullptr);
}

std::string inventory_line(const cost::Inventory& inv) {
  return fmt::format(
      "inventory: {} GPU servers ({} GPUs), {} storage servers with {} drives ({} raw), {} "
      "storage NICs; storage has {} of {} switch ports and {} of {} links",
      inv.gpu_servers, inv.gpus, inv.storage_servers, inv.storage_drives,
      sim::to_string(sim::Bytes(inv.storage_raw_bytes)), cost::total(inv.storage_nics),
      cost::total(inv.storage_switch_ports), inv.switch_ports(), cost::total(inv.storage_links),
      inv.links());
}

struct Counted {
  std::string name;
  std::string what;  // how the usage was obtained
  cost::RunCost cost;
};

Counted count_topology(const std::string& path, const cost::PriceBook& book) {
  const topo::Topology t = topo::load_topology(path);
  Counted c{t.name(), "a topology file: nothing was run", {}};
  c.cost.inventory =
      cost::count_inventory(t, cost::default_drive_capacity(), book.fabric_port_rate);
  c.cost.usage.notes.push_back(
      "a topology has no workload: zero checkpoint stall and failures assumed");
  c.cost.tco = cost::compute_tco(book, c.cost.inventory, c.cost.usage);
  return c;
}

Counted count_scenario(const TcoOptions& o, const cost::PriceBook& book) {
  ScenarioSource source;
  source.path = o.path;
  source.sets = o.sets;
  const sim::config::Node root = load_scenario(source);
  models::Simulation sim(root);
  if (sim.cluster() == nullptr) {
    throw sim::config::ConfigError(
        root.location(), "topology",
        "`stormsim tco` counts the scenario's cluster: the scenario needs a `topology:`");
  }
  sim.run();
  std::optional<cost::RunCost> r = cost::run_cost(sim, book, sim.metrics());
  return {sim.name(),
          fmt::format("ran the scenario: simulated {} in {} events", sim.end_time(),
                      sim.events_processed()),
          std::move(*r)};
}

}  // namespace

CLI::App* add_tco_command(CLI::App& app, TcoOptions& o) {
  CLI::App* cmd = app.add_subcommand(
      "tco",
      "cost of a scenario's cluster: storage capex and opex, cost per checkpoint, per "
      "useful GPU-hour");
  cmd->add_option("scenario", o.path, "scenario YAML, or a topology YAML (zero usage)")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--price-book", o.price_book,
                  "price book YAML merged over the shipped one (models/cost/price_book.yaml)")
      ->check(CLI::ExistingFile);
  cmd->add_option("-o,--out", o.out, "write the figures as JSON to this file");
  cmd->add_option("--set", o.sets, "override a scenario value: path.to.key=value")
      ->type_name("KEY=VALUE")
      ->take_all()
      ->allow_extra_args(false);
  return cmd;
}

int command_tco(const TcoOptions& o, std::ostream& out) {
  const cost::PriceBook book =
      o.price_book.empty() ? cost::default_price_book() : cost::load_price_book(o.price_book);
  const Counted c = is_topology_file(o.path) && o.sets.empty() ? count_topology(o.path, book)
                                                               : count_scenario(o, book);
  out << fmt::format("tco `{}` ({}), prices from {}\n", c.name, o.path, book.source);
  out << "  " << c.what << "\n";
  out << "  " << inventory_line(c.cost.inventory) << "\n";
  for (const std::string& note : c.cost.usage.notes)
    out << "  usage: " << note << "\n";
  for (const std::string& line : c.cost.tco.summary())
    out << "  " << line << "\n";
  if (!o.out.empty()) {
    nlohmann::json doc = c.cost.to_json(book);
    doc["scenario"] = {{"name", c.name}, {"source", o.path}};
    doc["price_book"] = book.to_json();
    sim::write_file_atomically(o.out, doc.dump(2) + "\n");
    out << fmt::format("result: {}\n", o.out);
  }
  return kOk;
}

}  // namespace stormsim::app
