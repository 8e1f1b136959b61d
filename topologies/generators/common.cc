#include "topologies/generators/common.h"

namespace stormsim::topo::gen {

using sim::config::ParamSpec;

Vertex add_switch(Topology& topo, const std::string& name, int tier) {
  return topo.add_vertex(name, VertexKind::kSwitch, tier);
}

void attach_nic(Topology& topo, std::uint32_t server, Vertex nic, Vertex sw, sim::Time latency) {
  topo.add_link(nic, sw, topo.servers()[server].nic_rate, latency, LinkKind::kAccess);
}

void attach_server(Topology& topo, std::uint32_t server, Vertex sw, sim::Time latency) {
  for (Vertex nic : topo.servers()[server].nics)
    attach_nic(topo, server, nic, sw, latency);
}

void connect(Topology& topo, Vertex a, Vertex b, sim::BytesPerSec rate, sim::Time latency) {
  topo.add_link(a, b, rate, latency, LinkKind::kFabric);
}

sim::BytesPerSec uplink_rate(sim::BytesPerSec down, double ratio, std::int64_t uplinks) {
  return down / (ratio * static_cast<double>(uplinks));
}

ParamSpec link_latency_param() {
  // An assumption, not a datasheet value: one switch traversal plus a few
  // metres of cable. InfiniBand switches are faster, Ethernet ones slower.
  return ParamSpec::time("link_latency")
      .def("500ns")
      .min(0)
      .help("latency of each fabric link (switch traversal and cable)");
}

ParamSpec oversubscription_param(const char* name, const char* help) {
  return ParamSpec::real(name).def("1").greater_than(0).max(1000).help(help);
}

sim::BytesPerSec nic_rate(const FabricInput& in, const std::vector<std::uint32_t>& servers) {
  return servers.empty() ? sim::BytesPerSec(0) : in.topo.servers()[servers.front()].nic_rate;
}

std::int64_t nic_count(const FabricInput& in, const std::vector<std::uint32_t>& servers) {
  return servers.empty()
             ? 0
             : static_cast<std::int64_t>(in.topo.servers()[servers.front()].nics.size());
}

}  // namespace stormsim::topo::gen
