// Where tier-0 puts bytes: stripes over a server's local drives, and which
// servers hold a file's peer copies.
#pragma once

#include <cstdint>
#include <vector>

#include "sim/units.h"
#include "topologies/topology.h"

namespace stormsim::models::storage::tier0 {

// The bytes of [offset, offset + size) that land on each of `drives` drives
// when a file is striped round-robin in units of `unit` (drive 0 holds the
// file's first unit). Exact, and O(drives) however large the range.
std::vector<double> stripe_bytes(double offset, double size, double unit, std::size_t drives);

// How a file's peer copies are placed: on the next servers of the ring of
// the service's servers, or on the next servers in the ring that sit under
// another leaf switch (so a rack or leaf loss keeps a copy).
enum class PeerPlacement : std::uint8_t { kRing, kOtherLeaf };

// The leaf switch each server's first NIC hangs off (a vertex), or the
// server's own first vertex when it has no NIC.
topo::Vertex leaf_of(const topo::Topology& t, std::uint32_t server);

// Up to `count` peers of `home` (indices into `leaves`, which holds each of
// the service's servers' leaf), skipping servers with `excluded[i]` set:
// under kRing the next servers in the ring; under kOtherLeaf the next ones
// in the ring under another leaf, then (if the fabric has too few leaves)
// the next ones under the same leaf.
std::vector<std::uint32_t> peers_of(std::uint32_t home, std::size_t count,
                                    const std::vector<topo::Vertex>& leaves,
                                    const std::vector<bool>& excluded, PeerPlacement placement);

}  // namespace stormsim::models::storage::tier0
