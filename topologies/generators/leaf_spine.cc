// leaf_spine: servers under leaf switches, every leaf joined to every spine.
#include <fmt/format.h>

#include "topologies/generators/common.h"
#include "topologies/generators/generators.h"

namespace stormsim::topo::gen {

using sim::config::ModelSpec;
using sim::config::ParamSpec;
using sim::units::Dimension;

ModelSpec leaf_spine_spec() {
  return ModelSpec{
      "leaf_spine",
      "two tiers: GPU and storage servers under their own leaves, every leaf to every spine",
      {
          ParamSpec::integer("servers_per_leaf").min(1).help("GPU servers under each leaf"),
          ParamSpec::integer("storage_servers_per_leaf")
              .def("0")
              .min(0)
              .help("storage servers under each storage leaf; 0: as servers_per_leaf"),
          ParamSpec::integer("spines").min(1).help("spine switches"),
          oversubscription_param("oversubscription",
                                 "leaf downlink to uplink capacity ratio; sets the uplink rates"),
          ParamSpec::quantity("uplink_rate", Dimension::kDataRate)
              .def("0GB/s")
              .min(0)
              .help("rate of each leaf-spine link instead of deriving it from oversubscription"),
          link_latency_param(),
      }};
}

namespace {

// Leaves for `servers`, `per_leaf` each, joined to every spine.
void add_leaves(FabricInput& in, const std::vector<std::uint32_t>& servers, std::int64_t per_leaf,
                const char* prefix, const std::vector<Vertex>& spines) {
  if (servers.empty())
    return;
  const sim::config::Params& p = in.params;
  const sim::Time latency = p.time("link_latency");
  const sim::BytesPerSec down =
      nic_rate(in, servers) * static_cast<double>(per_leaf * nic_count(in, servers));
  const sim::BytesPerSec up =
      p.is_default("uplink_rate")
          ? uplink_rate(down, p.real("oversubscription"), static_cast<std::int64_t>(spines.size()))
          : p.data_rate("uplink_rate");
  const std::int64_t leaves = ceil_div(static_cast<std::int64_t>(servers.size()), per_leaf);
  for (std::int64_t l = 0; l < leaves; ++l) {
    const Vertex leaf = add_switch(in.topo, fmt::format("{}{}", prefix, l), 1);
    for (std::int64_t i = l * per_leaf;
         i < std::min<std::int64_t>((l + 1) * per_leaf, static_cast<std::int64_t>(servers.size()));
         ++i) {
      attach_server(in.topo, servers[static_cast<std::size_t>(i)], leaf, latency);
    }
    for (Vertex spine : spines)
      connect(in.topo, leaf, spine, up, latency);
  }
}

}  // namespace

void build_leaf_spine(FabricInput& in) {
  const sim::config::Params& p = in.params;
  if (!p.is_default("uplink_rate") && !p.is_default("oversubscription"))
    p.fail("uplink_rate", "set either uplink_rate or oversubscription, not both");
  if (!p.is_default("uplink_rate") && p.data_rate("uplink_rate").value() <= 0)
    p.fail("uplink_rate", "must be > 0");
  in.topo.set_tier_names({"leaf", "spine"});
  std::vector<Vertex> spines;
  for (std::int64_t s = 0; s < p.integer("spines"); ++s)
    spines.push_back(add_switch(in.topo, fmt::format("spine{}", s), 2));
  const std::int64_t per_leaf = p.integer("servers_per_leaf");
  const std::int64_t storage_per_leaf = p.integer("storage_servers_per_leaf");
  add_leaves(in, in.gpu_servers, per_leaf, "leaf", spines);
  add_leaves(in, in.storage_servers, storage_per_leaf == 0 ? per_leaf : storage_per_leaf,
             "storage-leaf", spines);
}

}  // namespace stormsim::topo::gen
