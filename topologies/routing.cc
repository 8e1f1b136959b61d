#include "topologies/routing.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <boost/graph/breadth_first_search.hpp>
#include <limits>
#include <map>
#include <span>

#include "topologies/hash.h"
#include "topologies/topology.h"

namespace stormsim::topo {

std::string_view policy_name(RoutePolicy policy) {
  switch (policy) {
    case RoutePolicy::kPerFlow:
      return "per_flow";
    case RoutePolicy::kPerChunk:
      return "per_chunk";
    case RoutePolicy::kSpray:
      return "spray";
    case RoutePolicy::kDestination:
      return "destination";
  }
  return "?";
}

namespace {

constexpr std::uint64_t kMaxPaths = std::numeric_limits<std::uint64_t>::max();

std::uint64_t saturating_add(std::uint64_t a, std::uint64_t b) {
  return a > kMaxPaths - b ? kMaxPaths : a + b;
}

// Hop distances from `source` in a small undirected graph, 0xff where
// unreachable (or 255 hops away, which no cluster has).
template <typename Graph>
std::vector<std::uint8_t> bfs_distances(const Graph& g, std::size_t source) {
  std::vector<int> d(boost::num_vertices(g), -1);
  d[source] = 0;
  boost::breadth_first_search(
      g, boost::vertex(source, g),
      boost::visitor(boost::make_bfs_visitor(boost::record_distances(
          boost::make_iterator_property_map(d.begin(), boost::get(boost::vertex_index, g)),
          boost::on_tree_edge()))));
  std::vector<std::uint8_t> out(d.size());
  for (std::size_t i = 0; i < d.size(); ++i)
    out[i] = d[i] < 0 || d[i] >= 0xff ? 0xff : static_cast<std::uint8_t>(d[i]);
  return out;
}

}  // namespace

std::size_t Router::Dag::bytes() const {
  return sizeof(Dag) + nodes.capacity() * sizeof(Node) + children.capacity() * sizeof(Child) +
         64;  // list and hash-map node overhead
}

Router::Router(const Topology& topo) : topo_(topo) {
  index_adjacency();
  index_fabric();
  index_servers();
  const std::size_t n = topo_.vertex_count();
  memo_.assign(n, Memo{});
  server_stamp_.assign(topo_.servers().size(), 0);
  server_uniform_.assign(topo_.servers().size(), kFar);
  port_dist_.assign(ports_.size(), kFar);
  node_stamp_.assign(n, 0);
  node_index_.assign(n, 0);
  signature_of_.assign(n, kNoSignature);
}

// ---- indexing ---------------------------------------------------------------

// The distances inside a server from its signature: the vertex count, then
// the internal links as pairs of local indices.
Router::Shape Router::make_shape(const std::vector<std::uint32_t>& signature) {
  const std::uint32_t size = signature[0];
  boost::adjacency_list<boost::vecS, boost::vecS, boost::undirectedS> local(size);
  for (std::size_t i = 1; i + 1 < signature.size(); i += 2)
    boost::add_edge(signature[i], signature[i + 1], local);
  Shape shape;
  shape.size = size;
  shape.dist.reserve(std::size_t{size} * size);
  for (std::uint32_t a = 0; a < size; ++a) {
    const std::vector<std::uint8_t> row = bfs_distances(local, a);
    shape.dist.insert(shape.dist.end(), row.begin(), row.end());
  }
  return shape;
}

void Router::index_adjacency() {
  const Topology::Graph& g = topo_.graph();
  const std::size_t n = boost::num_vertices(g);
  arc_begin_.assign(n + 1, 0);
  arcs_.reserve(2 * boost::num_edges(g));
  for (Vertex v = 0; v < n; ++v) {
    arc_begin_[v] = static_cast<std::uint32_t>(arcs_.size());
    for (auto [e, end] = boost::out_edges(v, g); e != end; ++e) {
      const Vertex w = boost::target(*e, g);
      const LinkId forward = g[*e].forward;
      // `forward` runs from the vertex the link was added from.
      const LinkId out = topo_.link_source(forward) == v ? forward : Topology::reverse(forward);
      arcs_.push_back(Arc{static_cast<std::uint32_t>(w), out, topo_.server_of(w), kNoServer});
    }
  }
  arc_begin_[n] = static_cast<std::uint32_t>(arcs_.size());
}

void Router::index_fabric() {
  const std::size_t n = topo_.vertex_count();
  fabric_index_.assign(n, kNoServer);
  for (Vertex v = 0; v < n; ++v) {
    if (topo_.server_of(v) == kNoServer) {
      fabric_index_[v] = static_cast<std::uint32_t>(fabric_vertex_.size());
      fabric_vertex_.push_back(v);
    }
  }
  for (Arc& a : arcs_)
    a.to_fabric = fabric_index_[a.to];
  fabric_graph_ = FabricGraph(fabric_vertex_.size());
  for (std::size_t f = 0; f < fabric_vertex_.size(); ++f) {
    const Vertex v = fabric_vertex_[f];
    for (std::uint32_t a = arc_begin_[v]; a < arc_begin_[v + 1]; ++a) {
      const std::uint32_t g = fabric_index_[arcs_[a].to];
      if (g != kNoServer && f < g)
        boost::add_edge(f, g, fabric_graph_);
    }
  }
  fabric_dist_.resize(fabric_vertex_.size());
}

void Router::index_servers() {
  const std::vector<Server>& servers = topo_.servers();
  port_begin_.assign(servers.size() + 1, 0);
  std::map<std::vector<std::uint32_t>, std::uint32_t> shape_ids;
  for (std::uint32_t s = 0; s < servers.size(); ++s) {
    port_begin_[s] = static_cast<std::uint32_t>(ports_.size());
    const Server& server = servers[s];
    // Servers built from one template share a shape: their internal links,
    // in local numbering, are identical.
    std::vector<std::uint32_t> signature{static_cast<std::uint32_t>(server.last - server.first)};
    for (Vertex v = server.first; v < server.last; ++v) {
      const auto local = static_cast<std::uint32_t>(v - server.first);
      for (std::uint32_t a = arc_begin_[v]; a < arc_begin_[v + 1]; ++a) {
        const Vertex w = arcs_[a].to;
        if (fabric_index_[w] != kNoServer) {
          ports_.push_back(Port{local, fabric_index_[w]});
        } else if (topo_.server_of(w) == s && v < w) {
          signature.push_back(local);
          signature.push_back(static_cast<std::uint32_t>(w - server.first));
        }
      }
    }
    auto [it, added] = shape_ids.try_emplace(signature, static_cast<std::uint32_t>(shapes_.size()));
    if (added)
      shapes_.push_back(make_shape(signature));
    server_shape_.push_back(it->second);
  }
  port_begin_[servers.size()] = static_cast<std::uint32_t>(ports_.size());
  // Each server vertex's hops to its nearest port.
  near_port_.assign(topo_.vertex_count(), kFar8);
  for (std::uint32_t s = 0; s < servers.size(); ++s) {
    const Shape& shape = shapes_[server_shape_[s]];
    for (Vertex v = servers[s].first; v < servers[s].last; ++v) {
      const auto local = static_cast<std::uint32_t>(v - servers[s].first);
      for (std::uint32_t p = port_begin_[s]; p < port_begin_[s + 1]; ++p)
        near_port_[v] = std::min(near_port_[v], shape.at(local, ports_[p].local));
    }
  }
}

const std::vector<std::uint8_t>& Router::fabric_column(std::uint32_t fabric) {
  std::vector<std::uint8_t>& column = fabric_dist_[fabric];
  if (column.empty())
    column = bfs_distances(fabric_graph_, fabric);
  return column;
}

// ---- distances --------------------------------------------------------------

const Router::Target& Router::make_target(Vertex dst) {
  Target& t = target_;
  t.entries.clear();
  t.local = 0;
  t.dst = dst;
  t.server = topo_.server_of(dst);
  if (t.server == kNoServer) {
    const std::uint32_t f = fabric_index_[dst];
    t.entries.push_back(Entry{f, 0, fabric_column(f).data()});
    intern_signature(t);
    return t;
  }
  const Server& server = topo_.servers()[t.server];
  t.local = static_cast<std::uint32_t>(dst - server.first);
  const Shape& shape = shapes_[server_shape_[t.server]];
  for (std::uint32_t p = port_begin_[t.server]; p < port_begin_[t.server + 1]; ++p) {
    const std::uint8_t inside = shape.at(ports_[p].local, t.local);
    if (inside == kFar8)
      continue;
    const auto cost = static_cast<std::uint16_t>(inside + 1);
    auto same = std::find_if(t.entries.begin(), t.entries.end(),
                             [&](const Entry& e) { return e.fabric == ports_[p].fabric; });
    if (same == t.entries.end())
      t.entries.push_back(Entry{ports_[p].fabric, cost, fabric_column(ports_[p].fabric).data()});
    else
      same->cost = std::min(same->cost, cost);
  }
  intern_signature(t);
  return t;
}

void Router::intern_signature(Target& t) {
  // A destination's entries never change: intern them once.
  if (signature_of_[t.dst] != kNoSignature) {
    t.signature = signature_of_[t.dst];
    return;
  }
  std::vector<std::uint32_t>& key = signature_scratch_;
  key.clear();
  for (const Entry& e : t.entries) {
    key.push_back(e.fabric);
    key.push_back(e.cost);
  }
  const auto [it, added] =
      signature_ids_.try_emplace(key, static_cast<std::uint32_t>(signature_ids_.size()));
  t.signature = it->second;
  signature_of_[t.dst] = t.signature;
}

const Router::Target& Router::walk_target(Vertex dst) {
  // Distances to dst stay memoized from one walk to the next while nothing
  // else has taken a new stamp.
  if (memo_dst_stamp_ == 0 || memo_dst_stamp_ != stamp_ || memo_dst_ != dst) {
    next_stamp();
    make_target(dst);
    memo_dst_ = dst;
    memo_dst_stamp_ = stamp_;
  }
  return target_;
}

bool Router::hops_by_signature(Vertex u, std::uint32_t dst_server) const {
  // A switch dst: no path enters a server, every distance is a switch's.
  if (dst_server == kNoServer)
    return true;
  const std::uint32_t us = topo_.server_of(u);
  if (us == dst_server)
    return false;  // distances inside the destination's server
  const std::uint32_t f = fabric_index_[u];
  if (f == kNoServer)
    return true;  // another server: out through its ports to the entries
  // A switch wired to the destination's server may step into it.
  for (std::uint32_t p = port_begin_[dst_server]; p < port_begin_[dst_server + 1]; ++p) {
    if (ports_[p].fabric == f)
      return false;
  }
  return true;
}

std::uint16_t Router::server_ports(std::uint32_t s, const Target& t) {
  if (server_stamp_[s] == stamp_)
    return server_uniform_[s];
  server_stamp_[s] = stamp_;
  std::uint16_t uniform = kFar;
  for (std::uint32_t p = port_begin_[s]; p < port_begin_[s + 1]; ++p) {
    port_dist_[p] = fabric_dist(ports_[p].fabric, t);
    uniform = p == port_begin_[s] || port_dist_[p] == uniform ? port_dist_[p] : kMixed;
  }
  server_uniform_[s] = uniform;
  return uniform;
}

std::uint16_t Router::dist_uncached(Vertex v, const Target& t) {
  std::uint32_t best = kFar;
  const std::uint32_t s = topo_.server_of(v);
  const Shape& shape = shapes_[server_shape_[s]];
  const auto local = static_cast<std::uint32_t>(v - topo_.servers()[s].first);
  if (s == t.server && shape.at(local, t.local) != kFar8)
    best = shape.at(local, t.local);
  const std::uint16_t uniform = server_ports(s, t);
  if (uniform != kMixed) {
    // Every port is as far from the target: leave by the nearest one.
    if (uniform != kFar && near_port_[v] != kFar8)
      best = std::min<std::uint32_t>(best, near_port_[v] + 1u + uniform);
  } else {
    for (std::uint32_t p = port_begin_[s]; p < port_begin_[s + 1]; ++p) {
      const std::uint8_t inside = shape.at(local, ports_[p].local);
      if (inside != kFar8 && port_dist_[p] != kFar)
        best = std::min<std::uint32_t>(best, inside + 1u + port_dist_[p]);
    }
  }
  Memo& m = memo_[v];
  m.stamp = stamp_;
  m.dist = static_cast<std::uint16_t>(std::min<std::uint32_t>(best, kFar));
  return m.dist;
}

bool Router::allowed(std::uint32_t a, std::uint32_t b, const Target& t) {
  if (a == b)
    return true;
  if (a == kNoServer)
    return b == t.server;  // into a server only to reach the destination
  return b == kNoServer;   // out of a server into the fabric; never server to server
}

// ---- path DAGs --------------------------------------------------------------

const std::vector<std::uint32_t>& Router::next_hops_of(Vertex u, std::uint16_t du,
                                                       const Target& t) {
  candidates_.clear();
  const std::uint32_t us = topo_.server_of(u);
  for (std::uint32_t a = arc_begin_[u]; a < arc_begin_[u + 1]; ++a) {
    if (allowed(us, arcs_[a].to_server, t) && dist(arcs_[a], t) + 1 == du)
      candidates_.push_back(a);
  }
  return candidates_;
}

void Router::next_stamp() {
  if (++stamp_ == 0) {  // wrapped: forget every stamp
    for (Memo& m : memo_)
      m.stamp = 0;
    std::fill(server_stamp_.begin(), server_stamp_.end(), 0);
    std::fill(node_stamp_.begin(), node_stamp_.end(), 0);
    memo_dst_stamp_ = 0;
    stamp_ = 1;
  }
}

TopologyError Router::no_route(Vertex src, Vertex dst) const {
  return TopologyError(
      fmt::format("no route from `{}` to `{}`", topo_.vertex_name(src), topo_.vertex_name(dst)));
}

Router::Dag Router::build_dag(Vertex src, Vertex dst) {
  next_stamp();
  const Target& t = make_target(dst);
  if (dist(src, t) == kFar)
    throw no_route(src, dst);
  Dag d;
  auto node_of = [&](Vertex v) {
    if (node_stamp_[v] != stamp_) {
      node_stamp_[v] = stamp_;
      node_index_[v] = static_cast<std::uint32_t>(d.nodes.size());
      d.nodes.push_back(Dag::Node{v, 0, 0, 0});
    }
    return node_index_[v];
  };
  node_of(src);
  for (std::size_t i = 0; i < d.nodes.size(); ++i) {
    const Vertex u = d.nodes[i].vertex;
    const std::uint16_t du = dist(u, t);
    const auto first = static_cast<std::uint32_t>(d.children.size());
    if (u != dst) {
      for (std::uint32_t a : next_hops_of(u, du, t))
        d.children.push_back(Dag::Child{node_of(arcs_[a].to), arcs_[a].link});
    }
    d.nodes[i].first = first;
    d.nodes[i].count = static_cast<std::uint32_t>(d.children.size()) - first;
  }
  // Children come after their parents, so one backward pass counts paths.
  for (std::size_t i = d.nodes.size(); i-- > 0;) {
    Dag::Node& node = d.nodes[i];
    if (node.vertex == dst) {
      node.paths = 1;
      continue;
    }
    for (std::uint32_t c = node.first; c < node.first + node.count; ++c)
      node.paths = saturating_add(node.paths, d.nodes[d.children[c].node].paths);
  }
  d.nodes.shrink_to_fit();
  d.children.shrink_to_fit();
  return d;
}

const Router::Dag* Router::cached_dag(Vertex src, Vertex dst) {
  const auto it = cache_index_.find(pair_key(src, dst));
  if (it == cache_index_.end())
    return nullptr;
  lru_.splice(lru_.begin(), lru_, it->second);
  return &it->second->dag;
}

const Router::Dag& Router::dag(Vertex src, Vertex dst) {
  if (const Dag* d = cached_dag(src, dst))
    return *d;
  const std::uint64_t key = pair_key(src, dst);
  lru_.push_front(CacheEntry{key, build_dag(src, dst)});
  cache_index_.emplace(key, lru_.begin());
  cache_bytes_ += lru_.front().dag.bytes();
  while (cache_bytes_ > topo_.routing().cache_bytes && lru_.size() > 1) {
    cache_bytes_ -= lru_.back().dag.bytes();
    cache_index_.erase(lru_.back().key);
    lru_.pop_back();
  }
  return lru_.front().dag;
}

// ---- choosing paths ---------------------------------------------------------

std::uint64_t Router::flow_hash(Vertex src, Vertex dst, std::uint64_t label,
                                std::uint64_t chunk) const {
  const RoutingOptions& o = topo_.routing();
  if (o.policy == RoutePolicy::kDestination) {
    const std::uint32_t s = topo_.server_of(dst);
    return s != kNoServer ? s : dst;  // the destination's ordinal, not a hash
  }
  std::uint64_t h = hash_combine(hash_combine(hash_combine(mix64(o.seed), src), dst), label);
  if (o.policy != RoutePolicy::kPerFlow)
    h = hash_combine(h, chunk);
  return h;
}

std::uint32_t Router::pick(std::uint64_t hash, Vertex u, std::uint32_t n,
                           std::uint64_t& divisor) const {
  if (topo_.routing().policy != RoutePolicy::kDestination)
    return hash_below(hash_combine(hash, u), n);
  if (n <= 1)
    return 0;
  const auto choice = static_cast<std::uint32_t>((hash / divisor) % n);
  divisor = divisor > std::numeric_limits<std::uint64_t>::max() / n ? 1 : divisor * n;
  return choice;
}

void Router::walk_hashed(const Dag& d, std::uint64_t hash, Route& r) const {
  r.links.clear();
  r.latency = {};
  std::uint32_t i = 0;
  std::uint64_t divisor = 1;
  while (d.nodes[i].count > 0) {
    const Dag::Node& node = d.nodes[i];
    // Each switch hashes with its own salt, as real switches are seeded
    // differently; one shared hash would polarize the choice at every tier.
    const std::uint32_t p = pick(hash, node.vertex, node.count, divisor);
    const Dag::Child& c = d.children[node.first + p];
    r.links.push_back(c.link);
    r.latency += topo_.latency(c.link);
    i = c.node;
  }
}

Route Router::walk_indexed(const Dag& d, std::uint64_t index) const {
  Route r;
  std::uint32_t i = 0;
  while (d.nodes[i].count > 0) {
    const Dag::Node& node = d.nodes[i];
    std::uint32_t c = node.first;
    for (; c + 1 < node.first + node.count; ++c) {
      const std::uint64_t below = d.nodes[d.children[c].node].paths;
      if (index < below)
        break;
      index -= below;
    }
    r.links.push_back(d.children[c].link);
    r.latency += topo_.latency(d.children[c].link);
    i = d.children[c].node;
  }
  return r;
}

void Router::walk_direct(Vertex src, Vertex dst, std::uint64_t hash, Route& r) {
  if (next_hops_.empty()) {
    // About a slot per vertex: enough for the fabric's (switch, signature)
    // pairs of a walk pattern without growing past a few MiB.
    const std::size_t slots =
        std::clamp<std::size_t>(std::bit_ceil(topo_.vertex_count()), 1u << 13, 1u << 16);
    next_hops_.resize(slots);
    next_hop_mask_ = slots - 1;
  }
  r.links.clear();
  r.latency = {};
  const std::uint32_t dst_server = topo_.server_of(dst);
  if (signature_of_[dst] == kNoSignature)
    walk_target(dst);
  const std::uint64_t by_signature = kBySignature | signature_of_[dst];
  std::uint64_t divisor = 1;
  for (Vertex u = src; u != dst;) {
    const std::uint64_t key = hops_by_signature(u, dst_server) ? by_signature : dst;
    NextHops& slot = next_hops_[hash_combine(mix64(u), key) & next_hop_mask_];
    std::span<const std::uint32_t> next_hops;
    if (slot.u == u && slot.key == key) {
      next_hops = std::span<const std::uint32_t>(slot.arcs.data(), slot.count);
    } else {
      const Target& t = walk_target(dst);
      const std::uint16_t du = dist(u, t);
      if (du == kFar)
        throw no_route(src, dst);
      // The same candidates, in the same order, as the DAG's children, so
      // the hashed choice matches walk_hashed() on a cached DAG.
      const std::vector<std::uint32_t>& scanned = next_hops_of(u, du, t);
      if (scanned.size() <= kNextHopArcs) {
        slot.u = u;
        slot.key = key;
        slot.count = static_cast<std::uint32_t>(scanned.size());
        std::copy(scanned.begin(), scanned.end(), slot.arcs.begin());
      }
      next_hops = scanned;
    }
    if (next_hops.empty())
      throw no_route(src, dst);
    const auto n = static_cast<std::uint32_t>(next_hops.size());
    const Arc& next = arcs_[next_hops[pick(hash, u, n, divisor)]];
    r.links.push_back(next.link);
    r.latency += topo_.latency(next.link);
    u = next.to;
    // A shortest path visits no vertex twice. Longer means the next hops
    // are wrong (a router bug): fail loudly rather than walk forever.
    if (r.links.size() >= topo_.vertex_count())
      throw TopologyError(fmt::format("internal error: the route from `{}` to `{}` does not end",
                                      topo_.vertex_name(src), topo_.vertex_name(dst)));
  }
}

const Route& Router::route(Vertex src, Vertex dst, std::uint64_t flow_label, std::uint64_t chunk) {
  static const Route kNone{};
  if (src == dst)
    return kNone;
  const std::uint64_t hash = flow_hash(src, dst, flow_label, chunk);
  constexpr std::size_t kWalkedSlots = 16384;
  if (walked_.empty())
    walked_.resize(kWalkedSlots);
  Walked& m = walked_[hash_combine(pair_key(src, dst), hash) & (kWalkedSlots - 1)];
  if (m.src == src && m.dst == dst && m.hash == hash && !m.route.links.empty())
    return m.route;
  // A cached DAG saves the distance lookups; without one, walking the
  // distance tables costs about as much as building it, and caching a DAG
  // per pair would thrash for all-to-all patterns on 16,384 GPUs.
  // Until filled the slot names no pair (src == dst is never looked up), so
  // a walk that throws leaves no half-written route behind.
  m.src = m.dst = 0;
  if (const Dag* d = cached_dag(src, dst))
    walk_hashed(*d, hash, m.route);
  else
    walk_direct(src, dst, hash, m.route);
  m.src = src;
  m.dst = dst;
  m.hash = hash;
  return m.route;
}

std::vector<Route> Router::routes(Vertex src, Vertex dst, std::uint64_t flow_label,
                                  std::uint64_t chunk) {
  if (topo_.routing().policy != RoutePolicy::kSpray || src == dst)
    return {route(src, dst, flow_label, chunk)};
  const Dag& d = dag(src, dst);
  const std::uint64_t total = d.nodes[0].paths;
  const std::uint64_t n = std::min<std::uint64_t>(topo_.routing().spray_paths, total);
  // Paths numbered in DAG order; n evenly spaced indices, rotated by the
  // flow's hash so that different flows use different subsets.
  const std::uint64_t offset = flow_hash(src, dst, flow_label, chunk) % total;
  std::vector<Route> out;
  out.reserve(n);
  for (std::uint64_t i = 0; i < n; ++i) {
    const auto step = static_cast<std::uint64_t>(static_cast<unsigned __int128>(i) * total / n);
    out.push_back(walk_indexed(
        d, static_cast<std::uint64_t>((static_cast<unsigned __int128>(offset) + step) % total)));
  }
  return out;
}

std::uint64_t Router::path_count(Vertex src, Vertex dst) {
  if (src == dst)
    return 1;
  return dag(src, dst).nodes[0].paths;
}

}  // namespace stormsim::topo
