// `stormsim topo FILE [--from GROUP --to GROUP]`: what a cluster description
// builds and what it can carry.
#pragma once

#include <ostream>
#include <string>

namespace CLI {
class App;
}

namespace stormsim::app {

struct TopoOptions {
  std::string path;
  std::string from = "gpu_servers";
  std::string to = "storage_servers";
};

// Declares the `topo` subcommand on `app`, filling `o`.
CLI::App* add_topo_command(CLI::App& app, TopoOptions& o);

// Loads the topology and prints node and link counts per kind, capacity and
// oversubscription per switch tier, bisection bandwidth, and the max-flow
// bandwidth from one group to another. Bad input is a ConfigError (file:line
// and key, or the --from/--to option).
int command_topo(const TopoOptions& o, std::ostream& out);

}  // namespace stormsim::app
