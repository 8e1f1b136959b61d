// Topology: a cluster as a Boost.Graph graph of endpoints and switches joined
// by full-duplex links, with names, groups and ECMP routing.
#pragma once

#include <boost/graph/adjacency_list.hpp>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "sim/quantity.h"
#include "sim/time.h"
#include "topologies/routing.h"

namespace stormsim::topo {

// What a vertex is. Everything but kSwitch lives inside a server.
enum class VertexKind : std::uint8_t { kGpu, kNic, kDrive, kCpu, kMemory, kPcieSwitch, kSwitch };
inline constexpr int kVertexKinds = 7;

// What a link carries, for summaries: PCIe inside a server, a CPU's memory
// bandwidth, the link between CPU sockets, a NIC's port to its switch, or a
// link between two switches.
enum class LinkKind : std::uint8_t { kPcie, kMemory, kSocket, kAccess, kFabric };
inline constexpr int kLinkKinds = 5;

enum class ServerRole : std::uint8_t { kGpu, kStorage };

// "gpu", "nic", "drive", "cpu", "memory", "pcie_switch", "switch".
std::string_view kind_name(VertexKind kind);
// "pcie", "memory", "socket", "access", "fabric".
std::string_view kind_name(LinkKind kind);

// The bundled properties of a vertex. `tier` is 0 inside servers and 1, 2, 3
// for the switch tiers (leaf, spine, core).
struct VertexProps {
  std::string name;
  VertexKind kind = VertexKind::kSwitch;
  std::uint8_t tier = 0;
  std::uint32_t server = kNoServer;
};

// The bundled property of an edge: the id of its direction from the vertex
// it was added from to the other; the opposite direction is `forward + 1`.
struct EdgeProps {
  LinkId forward = 0;
};

// A server: a contiguous range of vertices [first, last) that share a name
// prefix ("gpu-server-12/"). Servers never forward traffic between other
// nodes; routing and max-flow enter one only to reach a destination in it.
struct Server {
  std::string name;
  ServerRole role = ServerRole::kGpu;
  Vertex first = 0;
  Vertex last = 0;
  sim::BytesPerSec nic_rate;  // line rate of its NICs' ports
  std::vector<Vertex> nics;
};

// A user-facing error about a topology: an unknown node or group, no route.
class TopologyError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A cluster's graph. Build it with add_vertex/add_link (the loader and the
// generators do), then query and route. Routing caches are mutable state
// behind const methods: one Topology must not be routed from two threads.
class Topology {
 public:
  using Graph =
      boost::adjacency_list<boost::vecS, boost::vecS, boost::undirectedS, VertexProps, EdgeProps>;

  explicit Topology(std::string name = "cluster");
  Topology(Topology&&) noexcept;
  Topology& operator=(Topology&&) noexcept;
  ~Topology();

  // ---- building ----
  // Adds a vertex; a duplicate name is a TopologyError. Between begin_server
  // and end_server, vertices belong to that server and `name` is local
  // ("gpu3" becomes "gpu-server-12/gpu3").
  Vertex add_vertex(std::string_view name, VertexKind kind, int tier = 0);
  std::uint32_t begin_server(std::string name, ServerRole role, sim::BytesPerSec nic_rate);
  void end_server();
  // Adds a full-duplex link and returns the id of its a->b direction (b->a is
  // the id + 1). Parallel links are allowed but the generators merge them.
  LinkId add_link(Vertex a, Vertex b, sim::BytesPerSec a_to_b, sim::BytesPerSec b_to_a,
                  sim::Time latency, LinkKind kind);
  LinkId add_link(Vertex a, Vertex b, sim::BytesPerSec rate, sim::Time latency, LinkKind kind) {
    return add_link(a, b, rate, rate, latency, kind);
  }
  void add_to_group(const std::string& group, Vertex v);
  // Names of switch tiers 1, 2, ... for reports ("leaf", "spine", "core").
  void set_tier_names(std::vector<std::string> names) { tier_names_ = std::move(names); }
  void set_routing(RoutingOptions options);

  // ---- vertices ----
  const std::string& name() const { return name_; }
  const Graph& graph() const { return *graph_; }
  std::size_t vertex_count() const { return boost::num_vertices(*graph_); }
  const std::string& vertex_name(Vertex v) const { return (*graph_)[v].name; }
  VertexKind kind(Vertex v) const { return (*graph_)[v].kind; }
  int tier(Vertex v) const { return (*graph_)[v].tier; }
  // The index into servers() of the server holding `v`, or kNoServer.
  std::uint32_t server_of(Vertex v) const { return (*graph_)[v].server; }
  const std::vector<Server>& servers() const { return servers_; }
  // The tier's name ("leaf"), or "tierN" when the generator gave none.
  std::string tier_name(int tier) const;

  // The vertex called `name`; a TopologyError suggesting the nearest name
  // ("did you mean ...") when there is none.
  Vertex find(std::string_view name) const;
  std::optional<Vertex> try_find(std::string_view name) const;

  // A named set of vertices: "gpu_servers", "storage_servers" (every vertex
  // of those servers), "gpus", "gpu_nics", "gpu_drives", "gpu_cpus",
  // "host_memory", "storage_nics", "storage_drives", "storage_cpus",
  // "storage_memory", "switches" and "<tier>_switches". Unknown names are a
  // TopologyError with a suggestion.
  const std::vector<Vertex>& group(std::string_view name) const;
  bool has_group(std::string_view name) const;
  std::vector<std::string> group_names() const;

  // ---- links ----
  // Full-duplex links; every one is two directed links.
  std::size_t link_count() const { return link_src_.size() / 2; }
  std::size_t directed_link_count() const { return link_src_.size(); }
  sim::BytesPerSec capacity(LinkId l) const { return link_capacity_[l]; }
  sim::Time latency(LinkId l) const { return link_latency_[l / 2]; }
  LinkKind link_kind(LinkId l) const { return link_kind_[l / 2]; }
  Vertex link_source(LinkId l) const { return link_src_[l]; }
  Vertex link_target(LinkId l) const { return link_src_[l ^ 1u]; }
  static LinkId reverse(LinkId l) { return l ^ 1u; }
  // "leaf3->spine1".
  std::string link_name(LinkId l) const;

  // ---- routing (see routing.h) ----
  // One shortest path (fewest links) from src to dst, chosen among the
  // equal-cost ones by hashing as the routing policy says: per_flow hashes
  // (src, dst, flow_label, seed); per_chunk and spray also hash `chunk`.
  // Every switch on the way hashes independently, as real ECMP does. Throws
  // TopologyError when dst cannot be reached. The reference is valid until
  // the next route() or routes() call on this topology.
  const Route& route(Vertex src, Vertex dst, std::uint64_t flow_label,
                     std::uint64_t chunk = 0) const;
  // The paths a flow uses: under spray, up to spray_paths distinct
  // equal-cost paths spread evenly over all of them (equal sub-flows);
  // otherwise the one path route() gives.
  std::vector<Route> routes(Vertex src, Vertex dst, std::uint64_t flow_label,
                            std::uint64_t chunk = 0) const;
  // The number of distinct shortest paths (saturates at 2^64 - 1).
  std::uint64_t ecmp_path_count(Vertex src, Vertex dst) const;
  const RoutingOptions& routing() const { return routing_; }

 private:
  Router& router() const;

  std::string name_;
  // Held by pointer so that a move hands it over: Boost's adjacency_list has
  // no move, and its swap() copies the graph twice.
  std::unique_ptr<Graph> graph_;
  std::vector<Server> servers_;
  std::uint32_t open_server_ = kNoServer;
  std::unordered_map<std::string, Vertex> by_name_;
  std::map<std::string, std::vector<Vertex>, std::less<>> groups_;
  std::vector<std::string> tier_names_;
  // Per directed link (index = LinkId) ...
  std::vector<Vertex> link_src_;
  std::vector<sim::BytesPerSec> link_capacity_;
  // ... and per full-duplex link (index = LinkId / 2).
  std::vector<sim::Time> link_latency_;
  std::vector<LinkKind> link_kind_;
  RoutingOptions routing_;
  mutable std::unique_ptr<Router> router_;  // built on first use
};

}  // namespace stormsim::topo
