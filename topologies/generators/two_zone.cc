// two_zone: Fire-Flyer 2 style (arXiv 2408.14158). Two zones, each a
// two-tier fat-tree (leaf-spine), joined through a few bridge switches that
// link to every spine of both zones. GPU servers split between the zones;
// storage servers put NIC i in zone i mod 2 ("split") so that each zone
// reaches all storage without crossing, or all NICs in zone 0.
#include <fmt/format.h>

#include <array>

#include "topologies/generators/common.h"
#include "topologies/generators/generators.h"

namespace stormsim::topo::gen {

using sim::config::ModelSpec;
using sim::config::ParamSpec;
using sim::units::Dimension;

ModelSpec two_zone_spec() {
  return ModelSpec{
      "two_zone",
      "two leaf-spine zones joined by bridge switches (Fire-Flyer 2 style)",
      {
          ParamSpec::integer("servers_per_leaf").min(1).help("GPU servers under each leaf"),
          ParamSpec::integer("storage_servers_per_leaf")
              .min(1)
              .help("storage servers under each storage leaf of a zone"),
          ParamSpec::integer("spines_per_zone").min(1).help("spine switches in each zone"),
          oversubscription_param("oversubscription", "leaf downlink to uplink capacity ratio"),
          ParamSpec::enumeration("storage_attach", {"split", "zone0"})
              .def("split")
              .help("split: storage NIC i in zone i mod 2; zone0: every storage NIC in zone 0"),
          ParamSpec::integer("bridges").def("2").min(0).help(
              "switches joining the zones, each linked to every spine of both zones"),
          // Mellanox QM8700 HDR InfiniBand, the switch Fire-Flyer 2 uses:
          // 40 ports of 200 Gb/s.
          ParamSpec::quantity("inter_zone_rate", Dimension::kDataRate)
              .def("200Gbps")
              .positive()
              .help("rate of each bridge-to-spine link"),
          link_latency_param(),
      }};
}

namespace {

// A storage NIC placed in a zone; `position` is the server's place among
// the storage servers, which decides its leaf.
struct StorageNic {
  std::size_t position;
  std::uint32_t server;
  Vertex nic;
};

struct Zone {
  std::vector<std::uint32_t> gpu;
  std::vector<StorageNic> storage;
  std::vector<Vertex> spines;
};

void add_gpu_leaves(FabricInput& in, int z, Zone& zone) {
  const std::int64_t per_leaf = in.params.integer("servers_per_leaf");
  const sim::Time latency = in.params.time("link_latency");
  const sim::BytesPerSec up = uplink_rate(
      nic_rate(in, in.gpu_servers) * static_cast<double>(per_leaf * nic_count(in, in.gpu_servers)),
      in.params.real("oversubscription"), static_cast<std::int64_t>(zone.spines.size()));
  const auto n = static_cast<std::int64_t>(zone.gpu.size());
  for (std::int64_t l = 0; l < ceil_div(n, per_leaf); ++l) {
    const Vertex leaf = add_switch(in.topo, fmt::format("zone{}/leaf{}", z, l), 1);
    for (Vertex spine : zone.spines)
      connect(in.topo, leaf, spine, up, latency);
    for (std::int64_t k = l * per_leaf; k < std::min(n, (l + 1) * per_leaf); ++k)
      attach_server(in.topo, zone.gpu[static_cast<std::size_t>(k)], leaf, latency);
  }
}

// Storage leaves hold the NICs of storage_servers_per_leaf servers each.
void add_storage_leaves(FabricInput& in, int z, Zone& zone) {
  if (zone.storage.empty())
    return;
  const std::int64_t per_leaf = in.params.integer("storage_servers_per_leaf");
  const sim::Time latency = in.params.time("link_latency");
  const auto servers = static_cast<std::int64_t>(in.storage_servers.size());
  const std::int64_t nics_per_server =
      ceil_div(static_cast<std::int64_t>(zone.storage.size()), servers);
  const sim::BytesPerSec up = uplink_rate(
      nic_rate(in, in.storage_servers) * static_cast<double>(per_leaf * nics_per_server),
      in.params.real("oversubscription"), static_cast<std::int64_t>(zone.spines.size()));
  std::vector<Vertex> leaves;
  for (const StorageNic& s : zone.storage) {
    const std::size_t l = s.position / static_cast<std::size_t>(per_leaf);
    while (leaves.size() <= l) {
      leaves.push_back(
          add_switch(in.topo, fmt::format("zone{}/storage-leaf{}", z, leaves.size()), 1));
      for (Vertex spine : zone.spines)
        connect(in.topo, leaves.back(), spine, up, latency);
    }
    attach_nic(in.topo, s.server, s.nic, leaves[l], latency);
  }
}

}  // namespace

void build_two_zone(FabricInput& in) {
  const sim::config::Params& p = in.params;
  in.topo.set_tier_names({"leaf", "spine", "bridge"});
  std::array<Zone, 2> zones;
  const std::size_t zone0_gpu = (in.gpu_servers.size() + 1) / 2;
  for (std::size_t k = 0; k < in.gpu_servers.size(); ++k)
    zones[k < zone0_gpu ? 0 : 1].gpu.push_back(in.gpu_servers[k]);
  const bool split = p.string("storage_attach") == "split";
  for (std::size_t k = 0; k < in.storage_servers.size(); ++k) {
    const std::uint32_t s = in.storage_servers[k];
    const std::vector<Vertex>& nics = in.topo.servers()[s].nics;
    for (std::size_t i = 0; i < nics.size(); ++i)
      zones[split ? i % 2 : 0].storage.push_back(StorageNic{k, s, nics[i]});
  }
  for (int z = 0; z < 2; ++z) {
    for (std::int64_t j = 0; j < p.integer("spines_per_zone"); ++j)
      zones[z].spines.push_back(add_switch(in.topo, fmt::format("zone{}/spine{}", z, j), 2));
    add_gpu_leaves(in, z, zones[z]);
    add_storage_leaves(in, z, zones[z]);
  }
  for (std::int64_t b = 0; b < p.integer("bridges"); ++b) {
    const Vertex bridge = add_switch(in.topo, fmt::format("bridge{}", b), 3);
    for (const Zone& zone : zones) {
      for (Vertex spine : zone.spines)
        connect(in.topo, bridge, spine, p.data_rate("inter_zone_rate"), p.time("link_latency"));
    }
  }
}

}  // namespace stormsim::topo::gen
