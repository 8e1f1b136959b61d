// Fabric generators: each builds the switches of one network design and
// attaches the servers' NICs to them, from the parameters of `fabric:`.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sim/config/params.h"
#include "topologies/topology.h"

namespace stormsim::topo {

// What a generator works on: the topology with its servers already built,
// the validated `fabric:` parameters, and the servers by role.
struct FabricInput {
  Topology& topo;
  const sim::config::Params& params;
  std::vector<std::uint32_t> gpu_servers;
  std::vector<std::uint32_t> storage_servers;
};

// A fabric design selected by `fabric: {generator: NAME}`.
struct Generator {
  std::string_view name;
  sim::config::ModelSpec (*spec)();
  // Adds switches and links; a parameter that cannot work (too few ports,
  // conflicting settings) is a ConfigError through params.fail().
  void (*build)(FabricInput& in);
};

// leaf_spine, fat_tree, rail_optimized, two_zone, custom (no switches: the
// top-level `switches:` and `links:` describe everything).
std::span<const Generator> generators();
const Generator* find_generator(std::string_view name);
std::vector<std::string> generator_names();

}  // namespace stormsim::topo
