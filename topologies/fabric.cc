#include "topologies/fabric.h"

#include <array>

#include "topologies/generators/generators.h"

namespace stormsim::topo {
namespace {

sim::config::ModelSpec custom_spec() {
  return sim::config::ModelSpec{
      "custom", "no generated switches: the top-level `switches:` and `links:` say everything", {}};
}

void build_custom(FabricInput&) {}

// One line per generator.
constexpr std::array<Generator, 5> kGenerators = {{
    {"leaf_spine", gen::leaf_spine_spec, gen::build_leaf_spine},
    {"fat_tree", gen::fat_tree_spec, gen::build_fat_tree},
    {"rail_optimized", gen::rail_optimized_spec, gen::build_rail_optimized},
    {"two_zone", gen::two_zone_spec, gen::build_two_zone},
    {"custom", custom_spec, build_custom},
}};

}  // namespace

std::span<const Generator> generators() {
  return kGenerators;
}

const Generator* find_generator(std::string_view name) {
  for (const Generator& g : kGenerators) {
    if (g.name == name)
      return &g;
  }
  return nullptr;
}

std::vector<std::string> generator_names() {
  std::vector<std::string> names;
  for (const Generator& g : kGenerators)
    names.emplace_back(g.name);
  return names;
}

}  // namespace stormsim::topo
