#include "models/storage/tier0/layout.h"

#include <algorithm>
#include <cassert>
#include <cmath>

namespace stormsim::models::storage::tier0 {

std::vector<double> stripe_bytes(double offset, double size, double unit, std::size_t drives) {
  assert(drives > 0 && unit > 0);
  std::vector<double> out(drives, 0.0);
  double pos = offset;
  const double end = offset + size;
  // Walks unit by unit up to the first whole round of `drives` units, then
  // hands every drive the whole rounds at once, then walks the tail.
  const auto walk_until = [&](double stop) {
    while (pos < stop) {
      const double u = std::floor(pos / unit);
      const double next = std::min((u + 1) * unit, stop);
      out[static_cast<std::size_t>(std::fmod(u, static_cast<double>(drives)))] += next - pos;
      pos = next;
    }
  };
  const double round = unit * static_cast<double>(drives);
  walk_until(std::min(end, std::ceil(pos / round) * round));
  const double rounds = std::floor((end - pos) / round);
  if (rounds > 0) {
    for (double& b : out)
      b += rounds * unit;
    pos += rounds * round;
  }
  walk_until(end);
  return out;
}

topo::Vertex leaf_of(const topo::Topology& t, std::uint32_t server) {
  const topo::Server& s = t.servers()[server];
  if (s.nics.empty())
    return s.first;
  const auto& g = t.graph();
  for (auto [it, end] = boost::adjacent_vertices(s.nics.front(), g); it != end; ++it) {
    if (t.kind(*it) == topo::VertexKind::kSwitch)
      return *it;
  }
  return s.first;
}

std::vector<std::uint32_t> peers_of(std::uint32_t home, std::size_t count,
                                    const std::vector<topo::Vertex>& leaves,
                                    const std::vector<bool>& excluded, PeerPlacement placement) {
  const auto n = static_cast<std::uint32_t>(leaves.size());
  std::vector<std::uint32_t> out;
  const auto pick = [&](bool other_leaf_only) {
    for (std::uint32_t k = 1; k < n && out.size() < count; ++k) {
      const std::uint32_t p = (home + k) % n;
      if (excluded[p] || std::find(out.begin(), out.end(), p) != out.end())
        continue;
      if (other_leaf_only && leaves[p] == leaves[home])
        continue;
      out.push_back(p);
    }
  };
  if (placement == PeerPlacement::kOtherLeaf)
    pick(true);
  pick(false);
  return out;
}

}  // namespace stormsim::models::storage::tier0
