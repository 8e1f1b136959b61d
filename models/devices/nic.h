// NIC: a network port's protocol efficiency and transport costs.
//
// The line rate and the port's place in the fabric come from the topology;
// the NIC model says what fraction of the line rate carries payload (headers
// per MTU-sized packet), which transport its traffic uses, the per-message
// overhead of RDMA and how many connections (queue pairs) a transfer is
// striped over.
#pragma once

#include <vector>

#include "models/cluster.h"

namespace stormsim::models {

class Nic : public Device {
 public:
  static sim::config::ModelSpec spec();
  explicit Nic(const ComponentContext& ctx);

  void bind(Cluster& cluster) override;

  Transport transport() const { return transport_; }
  // Payload bytes per wire byte for this NIC's transport and MTU.
  double efficiency() const { return efficiency_; }
  sim::Time message_overhead() const { return message_overhead_; }
  int connections() const { return connections_; }
  sim::Bytes mtu() const { return mtu_; }
  std::size_t size() const { return vertices_.size(); }
  topo::Vertex vertex(std::uint32_t index) const { return vertices_[index]; }

  // The payload fraction of an Ethernet line for `transport` at `mtu`
  // (RoCEv2 for RDMA): the closed form the tests check.
  static double payload_efficiency(Transport transport, double mtu);

 private:
  sim::config::Params params_;
  Transport transport_;
  sim::Bytes mtu_;
  double efficiency_;
  sim::Time message_overhead_;
  int connections_;
  std::vector<topo::Vertex> vertices_;
};

}  // namespace stormsim::models
