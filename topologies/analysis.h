// What a topology can carry: counts, oversubscription per switch tier,
// bisection bandwidth, and the max-flow bandwidth between two groups that
// later work uses as the physical limit of a transfer pattern.
#pragma once

#include <array>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sim/quantity.h"
#include "topologies/topology.h"

namespace stormsim::topo {

struct KindCounts {
  std::array<std::size_t, kVertexKinds> vertices{};  // by VertexKind
  std::array<std::size_t, kLinkKinds> links{};       // full-duplex, by LinkKind
};
KindCounts count_kinds(const Topology& topo);

// Capacity of the switches of one tier toward the tier below (and the
// servers) and toward the tier above, each summed in the switches' transmit
// direction. Links within a tier count in neither.
struct TierCapacity {
  int tier = 0;
  std::string name;
  std::size_t switches = 0;
  sim::BytesPerSec down;
  sim::BytesPerSec up;
  // down / up, the tier's oversubscription ratio; 0 for a top tier.
  double oversubscription() const { return up.value() > 0 ? down / up : 0.0; }
};
std::vector<TierCapacity> tier_capacities(const Topology& topo);

// The maximum rate from the vertices in `from` together to those in `to`
// together (max flow from a super-source joined to every `from` vertex to a
// super-sink joined to every `to` vertex; Boost.Graph push-relabel). As in
// routing, servers do not forward: a flow may enter a server only toward a
// `to` vertex in it and leave one only from a `from` vertex in it. The
// groups must not overlap (TopologyError).
sim::BytesPerSec max_flow(const Topology& topo, std::span<const Vertex> from,
                          std::span<const Vertex> to);
// max_flow between two named groups.
sim::BytesPerSec group_bandwidth(const Topology& topo, std::string_view from, std::string_view to);

// Bisection bandwidth, defined here as the max flow from the first half of
// the GPU servers, in index order, to the second half (every vertex of each
// server; with an odd count the second half has one more). Generators number
// servers along the fabric (leaf by leaf, SU by SU, zone by zone), so this
// cuts the fabric in its middle; for a non-blocking fat-tree it equals half
// the servers' NIC bandwidth. Zero with fewer than two GPU servers.
sim::BytesPerSec bisection_bandwidth(const Topology& topo);

}  // namespace stormsim::topo
