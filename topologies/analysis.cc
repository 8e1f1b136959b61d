#include "topologies/analysis.h"

#include <fmt/format.h>

#include <boost/graph/push_relabel_max_flow.hpp>
#include <cmath>
#include <cstdint>

namespace stormsim::topo {
namespace {

using FlowTraits = boost::adjacency_list_traits<boost::vecS, boost::vecS, boost::directedS>;
// Capacities in whole bytes per second: integers keep push-relabel exact.
using FlowGraph = boost::adjacency_list<
    boost::vecS, boost::vecS, boost::directedS, boost::no_property,
    boost::property<
        boost::edge_capacity_t, std::int64_t,
        boost::property<boost::edge_residual_capacity_t, std::int64_t,
                        boost::property<boost::edge_reverse_t, FlowTraits::edge_descriptor>>>>;

constexpr std::uint8_t kSource = 1, kSink = 2;

// The flow network with every `from` vertex merged into one source and every
// `to` vertex into one sink (equivalent to joining them to a super-source and
// super-sink with unbounded links, and much smaller for whole servers).
class FlowNetwork {
 public:
  FlowNetwork(const Topology& topo, const std::vector<std::uint8_t>& side)
      : topo_(topo), side_(side), node_(topo.vertex_count(), kNone) {
    mark_servers();
    add_vertex();  // the source, node 0
    add_vertex();  // the sink, node 1
    for (LinkId l = 0; l < topo.directed_link_count(); ++l) {
      if (usable(l))
        add_edge(node(topo.link_source(l)), node(topo.link_target(l)), topo.capacity(l));
    }
  }

  sim::BytesPerSec solve() {
    return sim::BytesPerSec(static_cast<double>(
        boost::push_relabel_max_flow(g_, boost::vertex(0, g_), boost::vertex(1, g_))));
  }

 private:
  static constexpr std::size_t kNone = static_cast<std::size_t>(-1);

  void mark_servers() {
    has_from_.assign(topo_.servers().size(), false);
    has_to_.assign(topo_.servers().size(), false);
    for (Vertex v = 0; v < side_.size(); ++v) {
      const std::uint32_t s = topo_.server_of(v);
      if (s != kNoServer && side_[v] == kSource)
        has_from_[s] = true;
      if (s != kNoServer && side_[v] == kSink)
        has_to_[s] = true;
    }
  }

  // Servers do not forward: into a server only toward a sink in it, out of
  // one only from a source in it, never from one server to another.
  bool usable(LinkId l) const {
    const Vertex u = topo_.link_source(l), v = topo_.link_target(l);
    if (side_[u] != 0 && side_[u] == side_[v])
      return false;
    const std::uint32_t a = topo_.server_of(u), b = topo_.server_of(v);
    if (a == b)
      return a == kNoServer || has_from_[a] || has_to_[a];
    if (a == kNoServer)
      return has_to_[b];
    if (b == kNoServer)
      return has_from_[a];
    return false;
  }

  std::size_t node(Vertex v) {
    if (side_[v] == kSource)
      return 0;
    if (side_[v] == kSink)
      return 1;
    if (node_[v] == kNone)
      node_[v] = add_vertex();
    return node_[v];
  }

  std::size_t add_vertex() { return boost::add_vertex(g_); }

  void add_edge(std::size_t u, std::size_t v, sim::BytesPerSec rate) {
    const auto cap = static_cast<std::int64_t>(std::llround(rate.value()));
    auto capacity = boost::get(boost::edge_capacity, g_);
    auto reverse = boost::get(boost::edge_reverse, g_);
    const auto e = boost::add_edge(u, v, g_).first;
    const auto r = boost::add_edge(v, u, g_).first;
    capacity[e] = cap;
    capacity[r] = 0;
    reverse[e] = r;
    reverse[r] = e;
  }

  const Topology& topo_;
  const std::vector<std::uint8_t>& side_;
  std::vector<std::size_t> node_;
  std::vector<bool> has_from_, has_to_;
  FlowGraph g_;
};

}  // namespace

KindCounts count_kinds(const Topology& topo) {
  KindCounts c;
  for (Vertex v = 0; v < topo.vertex_count(); ++v)
    ++c.vertices[static_cast<std::size_t>(topo.kind(v))];
  for (LinkId l = 0; l < topo.directed_link_count(); l += 2)
    ++c.links[static_cast<std::size_t>(topo.link_kind(l))];
  return c;
}

std::vector<TierCapacity> tier_capacities(const Topology& topo) {
  std::vector<TierCapacity> tiers;
  for (Vertex v = 0; v < topo.vertex_count(); ++v) {
    if (topo.kind(v) != VertexKind::kSwitch)
      continue;
    const auto t = static_cast<std::size_t>(topo.tier(v));
    while (tiers.size() < t) {
      const int number = static_cast<int>(tiers.size()) + 1;
      tiers.push_back(TierCapacity{number, topo.tier_name(number), 0, {}, {}});
    }
    if (t >= 1)
      ++tiers[t - 1].switches;
  }
  for (LinkId l = 0; l < topo.directed_link_count(); ++l) {
    const Vertex u = topo.link_source(l), v = topo.link_target(l);
    if (topo.kind(u) != VertexKind::kSwitch || topo.tier(u) < 1)
      continue;
    TierCapacity& tier = tiers[static_cast<std::size_t>(topo.tier(u)) - 1];
    if (topo.tier(v) < topo.tier(u))
      tier.down += topo.capacity(l);
    else if (topo.tier(v) > topo.tier(u))
      tier.up += topo.capacity(l);
  }
  std::erase_if(tiers, [](const TierCapacity& t) { return t.switches == 0; });
  return tiers;
}

sim::BytesPerSec max_flow(const Topology& topo, std::span<const Vertex> from,
                          std::span<const Vertex> to) {
  std::vector<std::uint8_t> side(topo.vertex_count(), 0);
  for (Vertex v : from)
    side[v] = kSource;
  for (Vertex v : to) {
    if (side[v] == kSource) {
      throw TopologyError(
          fmt::format("`{}` is both a source and a destination of the flow", topo.vertex_name(v)));
    }
    side[v] = kSink;
  }
  if (from.empty() || to.empty())
    return sim::BytesPerSec(0);
  return FlowNetwork(topo, side).solve();
}

sim::BytesPerSec group_bandwidth(const Topology& topo, std::string_view from, std::string_view to) {
  return max_flow(topo, topo.group(from), topo.group(to));
}

sim::BytesPerSec bisection_bandwidth(const Topology& topo) {
  std::vector<const Server*> gpu;
  for (const Server& s : topo.servers()) {
    if (s.role == ServerRole::kGpu)
      gpu.push_back(&s);
  }
  if (gpu.size() < 2)
    return sim::BytesPerSec(0);
  std::vector<Vertex> first, second;
  for (std::size_t i = 0; i < gpu.size(); ++i) {
    std::vector<Vertex>& half = i < gpu.size() / 2 ? first : second;
    for (Vertex v = gpu[i]->first; v < gpu[i]->last; ++v)
      half.push_back(v);
  }
  return max_flow(topo, first, second);
}

}  // namespace stormsim::topo
