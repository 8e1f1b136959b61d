#include "experiments/app/topo_command.h"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <string_view>

#include "experiments/app/cli.h"
#include "sim/config/error.h"
#include "sim/config/params.h"
#include "topologies/analysis.h"
#include "topologies/loader.h"

namespace stormsim::app {
namespace {

using topo::Topology;

// "1.6 TB/s (12.8 Tb/s)".
std::string rate(sim::BytesPerSec r) {
  return fmt::format("{} ({:.4g} Tb/s)", sim::to_string(r), r.bits_per_sec() / 1e12);
}

// A group named on the command line; an unknown one is an input error.
void check_group(const Topology& t, const std::string& name, const char* option) {
  if (t.has_group(name))
    return;
  const std::vector<std::string> names = t.group_names();
  std::string what = fmt::format("topology `{}` has no group `{}`", t.name(), name);
  if (const std::string near = sim::config::closest_name(name, names); !near.empty())
    what += fmt::format("; did you mean `{}`?", near);
  throw sim::config::ConfigError(sim::config::Location{option, 0, 0}, "",
                                 fmt::format("{}; groups: {}", what, fmt::join(names, ", ")));
}

void print_counts(const Topology& t, std::ostream& out) {
  const topo::KindCounts c = topo::count_kinds(t);
  std::size_t gpu = 0, storage = 0;
  for (const topo::Server& s : t.servers())
    ++(s.role == topo::ServerRole::kGpu ? gpu : storage);
  out << fmt::format("servers: {} GPU, {} storage\n", gpu, storage);
  out << fmt::format("nodes: {}\n ", t.vertex_count());
  for (int k = 0; k < topo::kVertexKinds; ++k) {
    out << fmt::format(" {} {}", topo::kind_name(static_cast<topo::VertexKind>(k)),
                       c.vertices[static_cast<std::size_t>(k)]);
  }
  out << fmt::format("\nlinks: {} full-duplex ({} directed)\n ", t.link_count(),
                     t.directed_link_count());
  for (int k = 0; k < topo::kLinkKinds; ++k) {
    out << fmt::format(" {} {}", topo::kind_name(static_cast<topo::LinkKind>(k)),
                       c.links[static_cast<std::size_t>(k)]);
  }
  out << "\n";
}

void print_tiers(const Topology& t, std::ostream& out) {
  out << "switch tiers (capacity out of the tier's switches, per direction):\n";
  for (const topo::TierCapacity& tier : topo::tier_capacities(t)) {
    const std::string ratio =
        tier.up.value() > 0 ? fmt::format("oversubscription {:.3g}:1", tier.oversubscription())
                            : std::string("top tier");
    out << fmt::format("  {} {}: {} switches, down {}, up {}, {}\n", tier.tier, tier.name,
                       tier.switches, sim::to_string(tier.down), sim::to_string(tier.up), ratio);
  }
}

}  // namespace

CLI::App* add_topo_command(CLI::App& app, TopoOptions& o) {
  CLI::App* cmd = app.add_subcommand("topo", "summarize a cluster topology (topologies/*.yaml)");
  cmd->add_option("topology", o.path, "topology YAML")->required()->check(CLI::ExistingFile);
  cmd->add_option("--from", o.from, "group the aggregate bandwidth is measured from")
      ->capture_default_str();
  cmd->add_option("--to", o.to, "group the aggregate bandwidth is measured to")
      ->capture_default_str();
  return cmd;
}

int command_topo(const TopoOptions& o, std::ostream& out) {
  const Topology t = topo::load_topology(o.path);
  check_group(t, o.from, "--from");
  check_group(t, o.to, "--to");
  out << fmt::format("topology `{}` ({})\n", t.name(), o.path);
  print_counts(t, out);
  print_tiers(t, out);
  out << fmt::format(
      "bisection bandwidth: {} (max flow from the first half of the GPU servers to the "
      "second)\n",
      rate(topo::bisection_bandwidth(t)));
  try {
    out << fmt::format("aggregate bandwidth {} -> {}: {} (max flow)\n", o.from, o.to,
                       rate(topo::group_bandwidth(t, o.from, o.to)));
  } catch (const topo::TopologyError& e) {
    throw sim::config::ConfigError(sim::config::Location{"--to", 0, 0}, "", e.what());
  }
  out << fmt::format("routing: shortest paths, ECMP {} (seed {})\n",
                     topo::policy_name(t.routing().policy), t.routing().seed);
  return kOk;
}

}  // namespace stormsim::app
