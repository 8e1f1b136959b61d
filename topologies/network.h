// Network: a Topology brought to life on a FlowSystem. Every directed link is
// a bandwidth constraint; a transfer between two vertices follows the
// topology's ECMP routing and moves its bytes as a max-min fair flow.
//
//   sim::flow::FlowSystem flows(engine);
//   topo::Network net(flows, topology);
//   co_await net.transfer(topology.find("gpu-server-0/gpu0"),
//                         topology.find("storage-1/nvme3"), Bytes(1e9));
//
// Under spray routing a transfer is split into equal sub-flows over distinct
// equal-cost paths and ends when the last of them does. Failing a vertex or a
// link aborts the flows crossing it (sim::flow::TransferAborted) and every
// later transfer over it until it is restored.
#pragma once

#include <cstdint>
#include <limits>
#include <span>

#include "sim/flow/flow_system.h"
#include "sim/quantity.h"
#include "sim/task.h"
#include "topologies/ids.h"
#include "topologies/topology.h"

namespace stormsim::topo {

struct NetworkTransferOptions {
  // Flows with the same label between the same endpoints take the same path
  // under per_flow hashing (one connection). 0 draws a fresh label per
  // transfer, so independent transfers hash independently.
  std::uint64_t flow_label = 0;
  // The chunk index, hashed under per_chunk and spray routing.
  std::uint64_t chunk = 0;
  double weight = 1.0;
  sim::BytesPerSec max_rate{std::numeric_limits<double>::infinity()};
  // Constraints outside the topology that the bytes also cross (a drive's
  // media, a host's CPU), appended to every route's path, and latency added
  // to the route's (a request's overhead, a drive's access time).
  std::span<const sim::flow::ConstraintId> extra = {};
  sim::Time extra_latency{};
};

class Network {
 public:
  // `flows` and `topology` must outlive the Network and its transfers.
  Network(sim::flow::FlowSystem& flows, const Topology& topology);

  const Topology& topology() const { return topo_; }
  sim::flow::FlowSystem& flows() const { return flows_; }
  sim::flow::ConstraintId constraint(LinkId l) const { return first_ + l; }

  // Moves `bytes` from `src` to `dst`: the route's latency, then the bytes
  // under shared bandwidth. Throws TopologyError when dst is unreachable and
  // sim::flow::TransferAborted when a link on the way fails.
  sim::Task<void> transfer(Vertex src, Vertex dst, sim::Bytes bytes,
                           NetworkTransferOptions options = {});

  void fail_link(LinkId l);     // both directions
  void restore_link(LinkId l);  // both directions
  // Every link touching `v`: a failed NIC, switch or drive.
  void fail_vertex(Vertex v);
  void restore_vertex(Vertex v);
  // Every vertex of server `s` (an index into topology().servers()).
  void fail_server(std::uint32_t s);
  void restore_server(std::uint32_t s);

  // What a directed link has carried so far (see FlowSystem::usage).
  sim::flow::FlowSystem::Usage usage(LinkId l) const { return flows_.usage(constraint(l)); }

 private:
  template <typename F>
  void for_each_link_of(Vertex v, F&& f) const;

  sim::flow::FlowSystem& flows_;
  const Topology& topo_;
  sim::flow::ConstraintId first_;
  std::uint64_t next_label_ = 0;
  // A transfer's constraint path, built and handed to the FlowSystem (which
  // copies it) before the transfer first suspends.
  std::vector<sim::flow::ConstraintId> path_;
};

}  // namespace stormsim::topo
