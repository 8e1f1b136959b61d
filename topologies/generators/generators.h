// The generators' declarations and builders, collected by fabric.cc.
#pragma once

#include "sim/config/params.h"
#include "topologies/fabric.h"

namespace stormsim::topo::gen {

sim::config::ModelSpec leaf_spine_spec();
void build_leaf_spine(FabricInput& in);
sim::config::ModelSpec fat_tree_spec();
void build_fat_tree(FabricInput& in);
sim::config::ModelSpec rail_optimized_spec();
void build_rail_optimized(FabricInput& in);
sim::config::ModelSpec two_zone_spec();
void build_two_zone(FabricInput& in);

}  // namespace stormsim::topo::gen
