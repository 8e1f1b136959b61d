// Shortest-path ECMP routing over a Topology: equal-cost next hops from
// distance tables, one path picked per flow (or chunk) by a seeded hash.
#pragma once

#include <algorithm>
#include <array>
#include <boost/graph/adjacency_list.hpp>
#include <cstdint>
#include <list>
#include <map>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "sim/time.h"
#include "topologies/ids.h"

namespace stormsim::topo {

class Topology;
class TopologyError;

// A path: its directed links in order and the sum of their latencies.
struct Route {
  std::vector<LinkId> links;
  sim::Time latency;
};

// How a flow is spread over equal-cost paths.
//  - per_flow: one path per (src, dst, flow label), as switches hashing the
//    5-tuple do; different flows can collide on a link.
//  - per_chunk: one path per chunk of a flow (flowlet or packet-spraying
//    granularity chosen by the caller).
//  - spray: ideal spraying; routes() gives up to spray_paths paths to be
//    used as equal sub-flows.
//  - destination: deterministic by destination, as InfiniBand subnet
//    managers route fat-trees (OpenSM's ftree/updn, "D-mod-k"): every flow
//    to one destination takes the same path, and a switch's choice among n
//    equal-cost next hops is digit (d / n_1 / ... / n_{i-1}) mod n of the
//    destination's ordinal d (its server's index, else its vertex id), so
//    consecutive destinations spread evenly over a leaf's uplinks.
enum class RoutePolicy : std::uint8_t { kPerFlow, kPerChunk, kSpray, kDestination };

// "per_flow", "per_chunk", "spray", "destination".
std::string_view policy_name(RoutePolicy policy);

struct RoutingOptions {
  RoutePolicy policy = RoutePolicy::kPerFlow;
  std::uint64_t seed = 0;
  std::uint32_t spray_paths = 8;
  // Budget for cached path DAGs, kept per (src, dst) pair and evicted least
  // recently used first.
  std::size_t cache_bytes = std::size_t{64} << 20;
};

// The routing state of one Topology: a compact copy of its adjacency, the
// distances inside each kind of server, hop distances between switches
// (one table per destination switch, filled on first use: at most
// switches^2 bytes), and an LRU cache of the equal-cost path DAGs of
// (src, dst) pairs, built for path counts and spraying. A hashed route walks
// a cached DAG when there is one and the distance tables otherwise (a few
// microseconds on 16,384 GPUs); both make the same choices.
//
// Paths never pass through a server other than the source's and the
// destination's: hosts do not forward. A distance to a destination is
// therefore (inside the source server to one of its NIC ports) + (switch
// hops) + (from a port of the destination server to the destination), so
// switch-to-switch tables suffice and stay small for 16,384 GPUs.
class Router {
 public:
  explicit Router(const Topology& topo);

  // The path is kept in the router's memo: the reference is valid until the
  // next route() or routes() call.
  const Route& route(Vertex src, Vertex dst, std::uint64_t flow_label, std::uint64_t chunk);
  std::vector<Route> routes(Vertex src, Vertex dst, std::uint64_t flow_label, std::uint64_t chunk);
  std::uint64_t path_count(Vertex src, Vertex dst);

 private:
  static constexpr std::uint16_t kFar = 0xffff;
  static constexpr std::uint8_t kFar8 = 0xff;
  static constexpr std::uint16_t kMixed = 0xfffe;

  struct Arc {
    std::uint32_t to;
    LinkId link;
    std::uint32_t to_server;  // server_of(to), or kNoServer
    std::uint32_t to_fabric;  // fabric_index_[to], or kNoServer
  };
  // A server's port into the fabric: which local vertex, which switch.
  struct Port {
    std::uint32_t local;
    std::uint32_t fabric;
  };
  // Hop distances between the vertices of one kind of server.
  struct Shape {
    std::uint32_t size = 0;
    std::vector<std::uint8_t> dist;
    std::uint8_t at(std::uint32_t a, std::uint32_t b) const { return dist[a * size + b]; }
  };
  // Where a path may enter the destination: a switch and the cost from it.
  struct Entry {
    std::uint32_t fabric;
    std::uint16_t cost;
    const std::uint8_t* column = nullptr;  // fabric_column(fabric)
  };
  struct Target {
    Vertex dst = 0;
    std::uint32_t server = 0;
    std::uint32_t local = 0;
    std::vector<Entry> entries;
    std::uint32_t signature = 0;  // interned (fabric, cost) list of entries
  };
  // Every shortest path from src to dst, as a DAG in BFS order (children
  // after parents), with the number of paths below each node.
  struct Dag {
    struct Node {
      Vertex vertex;
      std::uint32_t first;
      std::uint32_t count;
      std::uint64_t paths;
    };
    struct Child {
      std::uint32_t node;
      LinkId link;
    };
    std::vector<Node> nodes;
    std::vector<Child> children;
    std::size_t bytes() const;
  };
  struct CacheEntry {
    std::uint64_t key;
    Dag dag;
  };
  using FabricGraph = boost::adjacency_list<boost::vecS, boost::vecS, boost::undirectedS>;

  void index_adjacency();
  void index_fabric();
  void index_servers();
  static Shape make_shape(const std::vector<std::uint32_t>& signature);
  const std::vector<std::uint8_t>& fabric_column(std::uint32_t fabric);

  // Fills and returns target_ (its storage reused from call to call).
  const Target& make_target(Vertex dst);
  // Sets t.signature (and signature_of_[t.dst]) from t.entries.
  void intern_signature(Target& t);
  // target_ for dst under a fresh stamp, unless it already is.
  const Target& walk_target(Vertex dst);
  // Whether u's next hops toward a destination in server `dst_server`
  // depend on the destination only through its entries (see NextHops).
  bool hops_by_signature(Vertex u, std::uint32_t dst_server) const;
  // The hop distance from switch f (dense index) to the target: a lookup in
  // the column of each of the target's entry switches.
  static std::uint16_t fabric_dist(std::uint32_t f, const Target& t) {
    std::uint32_t best = kFar;
    for (const Entry& e : t.entries) {
      const std::uint8_t hops = e.column[f];
      if (hops != kFar8)
        best = std::min<std::uint32_t>(best, hops + e.cost);
    }
    return static_cast<std::uint16_t>(std::min<std::uint32_t>(best, kFar));
  }
  // The hop distance from a server's vertex v to the target, memoized under
  // stamp_.
  std::uint16_t server_dist(Vertex v, const Target& t) {
    const Memo& m = memo_[v];
    return m.stamp == stamp_ ? m.dist : dist_uncached(v, t);
  }
  std::uint16_t dist_uncached(Vertex v, const Target& t);
  // The hop distance from any vertex v, or an arc's end, to the target.
  std::uint16_t dist(Vertex v, const Target& t) {
    const std::uint32_t f = fabric_index_[v];
    return f != kNoServer ? fabric_dist(f, t) : server_dist(v, t);
  }
  std::uint16_t dist(const Arc& a, const Target& t) {
    return a.to_fabric != kNoServer ? fabric_dist(a.to_fabric, t) : server_dist(a.to, t);
  }
  // Fills port_dist_ for server s's ports (once per stamp) and returns their
  // common distance, or kMixed where they differ.
  std::uint16_t server_ports(std::uint32_t s, const Target& t);
  // Whether a path may step from a vertex of server `from` to one of server
  // `to` (kNoServer: a switch).
  static bool allowed(std::uint32_t from, std::uint32_t to, const Target& t);
  // The arcs (arcs_ indices, in arc order) from u, du hops from the target,
  // that lead one hop closer: the DAG's children and a walk's choices.
  // Fills and returns candidates_.
  const std::vector<std::uint32_t>& next_hops_of(Vertex u, std::uint16_t du, const Target& t);
  void next_stamp();
  TopologyError no_route(Vertex src, Vertex dst) const;
  Dag build_dag(Vertex src, Vertex dst);
  const Dag* cached_dag(Vertex src, Vertex dst);
  const Dag& dag(Vertex src, Vertex dst);
  static std::uint64_t pair_key(Vertex src, Vertex dst) {
    return (static_cast<std::uint64_t>(src) << 32) | dst;
  }
  std::uint64_t flow_hash(Vertex src, Vertex dst, std::uint64_t label, std::uint64_t chunk) const;
  // Both fill `out`, reusing its storage.
  void walk_hashed(const Dag& d, std::uint64_t hash, Route& out) const;
  void walk_direct(Vertex src, Vertex dst, std::uint64_t hash, Route& out);
  // The choice among n next hops at switch u: hashed, or under the
  // destination policy the next digit of the destination's ordinal (`hash`
  // holds the ordinal, `divisor` the product of the earlier choices' n).
  std::uint32_t pick(std::uint64_t hash, Vertex u, std::uint32_t n, std::uint64_t& divisor) const;
  Route walk_indexed(const Dag& d, std::uint64_t index) const;

  const Topology& topo_;
  // Adjacency in CSR form: arcs of v are arcs_[arc_begin_[v] .. arc_begin_[v+1]).
  std::vector<std::uint32_t> arc_begin_;
  std::vector<Arc> arcs_;
  // Switches ("fabric" vertices: not in a server), densely numbered.
  std::vector<std::uint32_t> fabric_index_;
  std::vector<Vertex> fabric_vertex_;
  FabricGraph fabric_graph_;
  std::vector<std::vector<std::uint8_t>> fabric_dist_;  // column per switch, lazily
  // Servers: shape and ports.
  std::vector<Shape> shapes_;
  std::vector<std::uint32_t> server_shape_;
  std::vector<std::uint32_t> port_begin_;
  std::vector<Port> ports_;
  // Distances to the current target, memoized per DAG build or walk: valid
  // where stamp equals stamp_.
  struct Memo {
    std::uint32_t stamp = 0;
    std::uint16_t dist = kFar;
  };
  std::vector<Memo> memo_;
  // Per server, under stamp_: its ports' distances to the target and their
  // common value (server_ports()); per vertex, hops to its server's nearest
  // port (kFar8 outside servers).
  std::vector<std::uint32_t> server_stamp_;
  std::vector<std::uint16_t> server_uniform_;
  std::vector<std::uint16_t> port_dist_;
  std::vector<std::uint8_t> near_port_;
  std::vector<std::uint32_t> node_stamp_;
  std::vector<std::uint32_t> node_index_;
  std::uint32_t stamp_ = 0;
  Target target_;                          // scratch for make_target
  std::vector<std::uint32_t> candidates_;  // scratch for next_hops_of()
  // The next hops a walk toward dst chooses among at u (walk_direct's scan,
  // in arc order), direct-mapped: they depend on u and dst alone, and a
  // scan costs a distance lookup per arc. Outside the destination's server and
  // the switches it is wired to, distances to dst are those to its entries
  // (switch, cost), so the slot is keyed by (u, the entries' signature) and
  // serves every destination entered the same way (the servers of one leaf,
  // say). A vertex with more candidates than a slot holds is scanned every
  // time.
  static constexpr std::uint32_t kNextHopArcs = 32;
  static constexpr std::uint64_t kBySignature = std::uint64_t{1} << 63;
  struct NextHops {
    Vertex u = 0;
    std::uint64_t key = 0;  // dst, or kBySignature | signature; (0, 0): empty
    std::uint32_t count = 0;
    std::array<std::uint32_t, kNextHopArcs> arcs;  // arcs_ indices
  };
  std::size_t next_hop_mask_ = 0;
  // Signatures: by entry list, and per destination vertex once known.
  static constexpr std::uint32_t kNoSignature = 0xffffffffu;
  std::map<std::vector<std::uint32_t>, std::uint32_t> signature_ids_;
  std::vector<std::uint32_t> signature_of_;
  std::vector<std::uint32_t> signature_scratch_;
  std::vector<NextHops> next_hops_;
  // The destination whose distances memo_ holds under stamp_ (0: none).
  Vertex memo_dst_ = 0;
  std::uint32_t memo_dst_stamp_ = 0;
  // The last routes walked, direct-mapped by (src, dst, hash): one data
  // move asks for its path several times (its NIC, its first-byte delay,
  // its flow), and a chain write's acknowledgements retrace its hops.
  struct Walked {
    Vertex src = 0;
    Vertex dst = 0;
    std::uint64_t hash = 0;
    Route route;
  };
  std::vector<Walked> walked_;
  // LRU cache of DAGs keyed by (src, dst).
  std::list<CacheEntry> lru_;
  std::unordered_map<std::uint64_t, std::list<CacheEntry>::iterator> cache_index_;
  std::size_t cache_bytes_ = 0;
};

}  // namespace stormsim::topo
