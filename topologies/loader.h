// Loading a cluster description (topologies/*.yaml) into a Topology.
#pragma once

#include <string>

#include "sim/config/node.h"
#include "sim/config/params.h"
#include "topologies/topology.h"

namespace stormsim::topo {

// Loads a topology file; `extends:` works as for scenarios. Every user
// mistake is a ConfigError naming file:line:column and the key: unknown keys
// (with the nearest valid one), bad values, an unknown generator, a link to
// a node that does not exist, a node not connected to the rest.
Topology load_topology(const std::string& path);

// As load_topology, for a configuration tree already loaded.
Topology build_topology(const sim::config::Node& root);

// The top-level keys, and those of `routing:`, `switches:` items and
// `links:` items, for validation and documentation.
sim::config::ModelSpec topology_spec();
sim::config::ModelSpec routing_spec();
sim::config::ModelSpec switch_spec();
sim::config::ModelSpec link_spec();

}  // namespace stormsim::topo
