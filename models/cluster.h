// Cluster: the scenario's topology brought to life, and the device models
// bound to its vertices.
//
// A scenario with a `topology:` key gets one Cluster: the topology, one
// FlowSystem that every byte in the run shares, and the Network over it.
// Device components (`nvme`, `nic`, `gpu`, `host`, `pcie`) each claim a set of
// vertices or servers with `on:`; a vertex no component claims gets the
// model's defaults through an implicit component named after the type. The
// storage services and workloads then move data with `move()`, which adds
// the devices' own limits (a drive's media, a host's CPU) to the route.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "models/component.h"
#include "sim/flow/flow_system.h"
#include "sim/task.h"
#include "topologies/network.h"
#include "topologies/topology.h"

namespace stormsim::models {

class Nvme;
class Nic;
class Gpu;
class Host;
class Pcie;
class Cluster;

// A component that models one kind of device on a set of topology vertices
// (drives, NICs, GPUs) or servers (hosts, PCIe complexes).
class Device : public Component {
 public:
  explicit Device(const ComponentContext& ctx)
      : Component(ctx), on_(ctx.params.string_list("on")) {}
  // Claims the device's vertices (or servers) in the cluster; ConfigErrors
  // name the `on:` key.
  virtual void bind(Cluster& cluster) = 0;
  // The `on:` list; empty takes whatever no other component of the family
  // claimed, so such devices bind last.
  const std::vector<std::string>& on() const { return on_; }

 private:
  std::vector<std::string> on_;
};

// How a byte stream crosses the fabric: RDMA (RC verbs, no per-byte CPU
// cost) or TCP (per-byte CPU cost on both hosts, one core per connection).
enum class Transport : std::uint8_t { kRdma, kTcp };
std::string_view name(Transport t);

// Options of Cluster::move.
struct MoveOptions {
  // Constraints outside the topology the bytes also cross (drive media).
  std::span<const sim::flow::ConstraintId> extra = {};
  sim::Time extra_latency{};
  // Transport over the fabric; nullopt: the sending NIC's.
  std::optional<Transport> transport{};
  // Flows with the same label between the same endpoints share a path.
  std::uint64_t flow_label = 0;
  std::uint64_t chunk = 0;
  double weight = 1.0;
  sim::BytesPerSec max_rate{std::numeric_limits<double>::infinity()};
};

class Cluster {
 public:
  Cluster(sim::Engine& engine, topo::Topology topology);
  ~Cluster();
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  sim::Engine& engine() const { return engine_; }
  const topo::Topology& topology() const { return topology_; }
  sim::flow::FlowSystem& flows() { return flows_; }
  const sim::flow::FlowSystem& flows() const { return flows_; }
  topo::Network& network() { return *network_; }

  // The vertices of `kind` named by `names`: group names (`storage_drives`),
  // server names (every vertex of `kind` in it) or vertex names
  // (`storage-0/nvme3`). A name matching nothing, or only vertices of other
  // kinds, is a ConfigError at `key`.
  std::vector<topo::Vertex> select(const std::vector<std::string>& names, topo::VertexKind kind,
                                   const sim::config::Params& params, std::string_view key) const;
  // Servers named by `names`: group names (`gpu_servers`), server names, or
  // any vertex inside a server.
  std::vector<std::uint32_t> select_servers(const std::vector<std::string>& names,
                                            const sim::config::Params& params,
                                            std::string_view key) const;

  // Binding: each vertex (or server) has at most one model of each family.
  void bind_vertex(topo::Vertex v, Device& d, std::uint32_t index,
                   const sim::config::Params& params, std::string_view key);
  void bind_server(std::uint32_t server, Device& d, std::uint32_t index,
                   const sim::config::Params& params, std::string_view key);
  // Vertices of `kind` with no model yet; servers with no model of a family.
  std::vector<topo::Vertex> unbound(topo::VertexKind kind) const;
  std::vector<std::uint32_t> unbound_servers(bool host) const;

  struct DeviceRef {
    Device* device = nullptr;
    std::uint32_t index = 0;
  };
  DeviceRef at(topo::Vertex v) const { return vertex_devices_[v]; }

  // The models of a vertex or server; each throws std::logic_error if a
  // vertex of that kind was left unbound (the Simulation binds them all).
  std::pair<Nvme*, std::uint32_t> nvme(topo::Vertex drive) const;
  std::pair<Nic*, std::uint32_t> nic(topo::Vertex nic) const;
  std::pair<Gpu*, std::uint32_t> gpu(topo::Vertex gpu) const;
  std::pair<Host*, std::uint32_t> host(std::uint32_t server) const;
  Pcie* pcie(std::uint32_t server) const;

  // Vertices of a server by kind, in order (gpu0, gpu1, ...).
  std::vector<topo::Vertex> server_vertices(std::uint32_t server, topo::VertexKind kind) const;
  // The server's first memory vertex: where host buffers live.
  topo::Vertex memory_of(std::uint32_t server) const;
  // The NIC the route from `src` to `dst` leaves `src`'s server by, or
  // nullopt when the route stays inside one server.
  std::optional<topo::Vertex> sending_nic(topo::Vertex src, topo::Vertex dst,
                                          std::uint64_t flow_label) const;

  // Moves `bytes` from `src` to `dst` along the topology's route, also
  // crossing `options.extra`. Between servers over TCP, it crosses both
  // hosts' TCP CPU constraints and each connection is capped at one core's
  // TCP rate; over RDMA it pays the NIC's per-message overhead once.
  sim::Task<void> move(topo::Vertex src, topo::Vertex dst, sim::Bytes bytes,
                       MoveOptions options = {});

  // The latency of the path label 1 takes from src to dst (chunk 0), and the
  // NIC it leaves src's server by: a transfer's first-byte estimate.
  // Memoized per pair: a chain write asks it for every chunk, and a route
  // walk costs microseconds on a large fabric.
  struct PathSummary {
    sim::Time latency;
    std::optional<topo::Vertex> nic;
  };
  const PathSummary& path_summary(topo::Vertex src, topo::Vertex dst);

  // A fresh flow label (so independent transfers hash independently).
  std::uint64_t next_label() { return ++labels_; }
  // The label of the one long-lived connection between `src` and `dst` (an
  // RPC channel, a kept-alive HTTP connection), the same both ways: every
  // transfer between them given it takes one path each way under per-flow
  // ECMP (the path hash also takes the ends, in order). Never a value
  // next_label() gives.
  static std::uint64_t channel_label(topo::Vertex src, topo::Vertex dst);

  // Per-run record of the fabric's busiest constraints, for the result: each
  // constraint that limited a flow, with its bytes, time as a bottleneck and
  // utilization over `end`, most time-as-bottleneck first.
  nlohmann::json bottlenecks(sim::Time end, std::size_t limit = 10) const;
  std::vector<std::string> bottleneck_summary(sim::Time end, std::size_t limit = 3) const;

 private:
  sim::Engine& engine_;
  topo::Topology topology_;
  sim::flow::FlowSystem flows_;
  std::unique_ptr<topo::Network> network_;
  std::vector<DeviceRef> vertex_devices_;  // by Vertex
  std::vector<DeviceRef> server_hosts_;    // by server
  std::vector<Pcie*> server_pcie_;         // by server
  std::uint64_t labels_ = 0;
  std::unordered_map<std::uint64_t, PathSummary> path_summaries_;  // by (src, dst)
};

}  // namespace stormsim::models
