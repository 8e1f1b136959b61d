// Helpers shared by the fabric generators.
#pragma once

#include <cstdint>
#include <string>

#include "sim/config/params.h"
#include "topologies/fabric.h"

namespace stormsim::topo::gen {

inline std::int64_t ceil_div(std::int64_t a, std::int64_t b) {
  return (a + b - 1) / b;
}

// A fabric switch at `tier` (1 = leaf).
Vertex add_switch(Topology& topo, const std::string& name, int tier);

// Every NIC of `server` to `sw`, at the NIC's line rate.
void attach_server(Topology& topo, std::uint32_t server, Vertex sw, sim::Time latency);
// One NIC to `sw`.
void attach_nic(Topology& topo, std::uint32_t server, Vertex nic, Vertex sw, sim::Time latency);

// A switch-to-switch link. Parallel cables between the same two switches are
// one link of their summed rate: the flow model shares it the same way, and
// ECMP counts paths through distinct switches.
void connect(Topology& topo, Vertex a, Vertex b, sim::BytesPerSec rate, sim::Time latency);

// The rate of each of a switch's `uplinks` links when its downlinks sum to
// `down` and the tier is oversubscribed `ratio`:1.
sim::BytesPerSec uplink_rate(sim::BytesPerSec down, double ratio, std::int64_t uplinks);

// Parameters most generators share.
sim::config::ParamSpec link_latency_param();
sim::config::ParamSpec oversubscription_param(const char* name, const char* help);

// The NIC rate and count of servers of a role (all servers of a role come
// from one template); zero when there are none.
sim::BytesPerSec nic_rate(const FabricInput& in, const std::vector<std::uint32_t>& servers);
std::int64_t nic_count(const FabricInput& in, const std::vector<std::uint32_t>& servers);

}  // namespace stormsim::topo::gen
